/**
 * Kamailio 5.6 keeping its own htable caches, with the fragment `authring kamailio --mode htable`
 * generated (the htable route keyed by the folded name, and the RPC listener authring invalidates
 * it through), for test/kamailio/htable-invalidation.test.ts.
 *
 * The cfg ({@link htableTemplate}) answers OPTIONS requests asked with the test's SIP client:
 *
 * - `X-Check: ht-group`: `route(AUTHRING_HT_IPAUTH)` for the From user → 200 member / 404;
 * - `X-Check: classic`: the classic per-node pattern the operators run today, written by hand,
 *   `$sht(classic=>$fU::voicemail)` holding "yes"/"no" → 200 / 404;
 * - `X-Check: address`: `allow_source_address(X-Group)` for the request's source → 200 / 404;
 *
 * each with `X-Source` (`cache` or `db`; `-` for addresses). Everything listens on 127.0.0.1.
 */
import { REQUEST_START, cfgPreamble } from './kamailio-memcached.js';
import type { SipClient, SipResponse } from './kamailio-sip.js';

/** The cfg around the fragment (placeholders DEBUG, PORT, DB_URL, GROUP_USE_DOMAIN). */
export function htableTemplate(fragmentPath: string): string {
  if (/["\n]/.test(fragmentPath)) throw new Error(`fragment path ${JSON.stringify(fragmentPath)} cannot be written into the cfg`);
  return `#!KAMAILIO
#
# authring htable test: Kamailio's own htable caches, invalidated by authring over RPC.
# Written by test/helpers/kamailio-htable.ts; never run it against a production database.

${cfgPreamble({ tcp: true })}
loadmodule "permissions.so"

# The address table in memory, reloaded by permissions.addressReload; no throttle between reloads
# (authring sends at most one at a time per node).
modparam("permissions", "db_url", "{{DB_URL}}")
modparam("permissions", "load_backends", 1)
modparam("permissions", "reload_delta", 0)

include_file "${fragmentPath}"

# The classic pattern (written by hand, keyed by the From user as written).
modparam("htable", "htable", "classic=>size=8;autoexpire=1800;")

request_route {
${REQUEST_START}
	if ($hdr(X-Check) == "ht-group") {
		route(AUTHRING_HT_IPAUTH);
		$var(rc) = $var(authring_rc);
		$var(src) = $var(authring_source);
		route(ANSWER);
	}
	if ($hdr(X-Check) == "classic") {
		if ($sht(classic=>$fU::voicemail) == $null) {
			if (is_user_in("From", "voicemail")) {
				$sht(classic=>$fU::voicemail) = "yes";
			} else {
				$sht(classic=>$fU::voicemail) = "no";
			}
			$var(src) = "db";
		} else {
			$var(src) = "cache";
		}
		if ($sht(classic=>$fU::voicemail) == "yes") {
			$var(rc) = 1;
		} else {
			$var(rc) = -6;
		}
		route(ANSWER);
	}
	if ($hdr(X-Check) == "address") {
		$var(group) = $(hdr(X-Group){s.int});
		$var(src) = "-";
		if (allow_source_address("$var(group)")) {
			$var(rc) = 1;
		} else {
			$var(rc) = -1;
		}
		route(ANSWER);
	}
	sl_send_reply("200", "Ready");
	exit;
}

route[ANSWER] {
	append_to_reply("X-Result: $var(rc)\\r\\nX-Source: $var(src)\\r\\n");
	if ($var(rc) == 1) {
		sl_send_reply("200", "Yes");
	} else {
		sl_send_reply("404", "No");
	}
	exit;
}
`;
}

/** What Kamailio answered: `200 cache`, `404 db`, ... */
export function summary(response: SipResponse): string {
  return `${response.status} ${response.headers.get('x-source') ?? '?'}`;
}

/** Asks one question: a group check (`ht-group`, `classic`) for `user`, or an address check for `group`. */
export async function ask(sip: SipClient, check: 'ht-group' | 'classic', user: string): Promise<SipResponse>;
export async function ask(sip: SipClient, check: 'address', group: number): Promise<SipResponse>;
export async function ask(sip: SipClient, check: 'ht-group' | 'classic' | 'address', subject: string | number): Promise<SipResponse> {
  const user = typeof subject === 'string' ? subject : 'anyone';
  const headers = [`X-Check: ${check}`, ...(typeof subject === 'number' ? [`X-Group: ${subject}`] : [])];
  return sip.send({ method: 'OPTIONS', user, domain: 'example.com', headers });
}

/**
 * Asks until `accept` holds for the answer, and resolves with the milliseconds from `since` to the
 * first such answer. Each question waits for the previous answer, then 5 ms (the resolution of
 * the delays measured; asking flat out would only load the machine).
 * @throws Error after `timeoutMs` with the last answer.
 */
export async function untilAnswer(
  question: () => Promise<SipResponse>,
  accept: (answer: SipResponse) => boolean,
  since: number,
  timeoutMs: number,
): Promise<number> {
  for (;;) {
    const answer = await question();
    if (accept(answer)) return Date.now() - since;
    if (Date.now() - since > timeoutMs) throw new Error(`still ${summary(answer)} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
