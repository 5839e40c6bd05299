/**
 * The routing logic of the example proxy: what Kamailio's standard registrar/proxy cfg does with
 * auth_db, group and permissions, with authring answering the three questions.
 *
 *   REGISTER                 digest (401) → auth user = To user = From user (else 403) → save
 *   INVITE, MESSAGE, OPTIONS allow_source_address(group 1) skips auth; otherwise digest (407) →
 *                            auth user = From user (else 403) → is_user_in(From, "ipauth")
 *                            (else 403) → the callee's binding (else 404) → forward statefully
 *   in-dialog (To tag)       loose-routed through our Record-Route, without auth; else 404
 *   CANCEL                   answered, and sent on to the pending INVITE's branch (else 481)
 *
 * A lookup that cannot be answered (MySQL unreachable on a cache miss, or the lookup deadline)
 * is answered 503 with Retry-After: the proxy fails closed, never with a wrong 200.
 */
import { randomBytes } from 'node:crypto';
import sip, { type AuthHeader, type Message, type NameAddr, type Remote, type Request } from 'sip';
import { AuthringError, type Credentials } from '../../src/index.js';
import type { DigestAuth } from './digest.js';
import type { Forwarder } from './forwarder.js';
import type { ContactUpdate, Registrar } from './registrar.js';

/** The three questions the proxy asks; authring's `AuthCache` answers them, or `DirectLookups`. */
export interface AuthLookups {
  /** `allow_source_address(group)`: is the source address (and port) in the address group? */
  allowAddress(ip: string, group: number, port: number): Promise<boolean>;
  /** auth_db's subscriber lookup. */
  getCredentials(user: string, domain: string): Promise<Credentials | undefined>;
  /** `is_user_in`. */
  isUserInGroup(user: string, domain: string, group: string): Promise<boolean>;
}

/** What the proxy decides with. */
export interface ProxyPolicy {
  /** Address group whose sources skip authentication. @default 1 */
  readonly trustedGroup: number;
  /** Group a caller must be in. @default 'ipauth' */
  readonly callerGroup: string;
  /** Seconds in the Retry-After of a 503. @default 5 */
  readonly retryAfterS: number;
  /** One line per final answer given here, when set. */
  readonly log?: (line: string) => void;
}

/** Lookup failures that mean "cannot answer now" rather than a bug. */
const UNAVAILABLE = new Set(['E_SOURCE_UNAVAILABLE', 'E_DEADLINE']);

/** Routes every request the stack hands over. */
export class SipProxy {
  constructor(
    private readonly auth: AuthLookups,
    private readonly registrar: Registrar,
    private readonly forwarder: Forwarder,
    private readonly digest: DigestAuth,
    private readonly policy: ProxyPolicy,
  ) {}

  /** The stack's request callback. */
  readonly onRequest = (request: Request, remote: Remote): void => {
    this.route(request, remote).catch((error: unknown) => {
      if (error instanceof AuthringError && UNAVAILABLE.has(error.code)) {
        this.policy.log?.(`${error.code}: ${error.message}`);
        this.reply(request, 503, 'Service Unavailable', { 'retry-after': String(this.policy.retryAfterS) });
      } else {
        this.policy.log?.(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        this.reply(request, 500, 'Server Internal Error');
      }
    });
  };

  private async route(request: Request, remote: Remote): Promise<void> {
    if (request.method === 'CANCEL') {
      if (!this.forwarder.cancel(request)) this.reply(request, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    if (Number(request.headers['max-forwards'] ?? 70) <= 0) {
      if (request.method !== 'ACK') this.reply(request, 483, 'Too Many Hops');
      return;
    }
    if (request.headers.to.params['tag']) return this.inDialog(request);
    switch (request.method) {
      case 'REGISTER':
        return this.register(request);
      case 'INVITE':
      case 'MESSAGE':
      case 'OPTIONS':
        return this.call(request, remote);
      case 'ACK':
        return; // an ACK outside any dialog or transaction has nowhere to go
      default:
        this.reply(request, 405, 'Method Not Allowed', { allow: 'INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE, REGISTER' });
    }
  }

  /** A request inside a dialog this proxy record-routed: relayed along the Route set, no auth. */
  private inDialog(request: Request): void {
    const [first, ...rest] = request.headers.route ?? [];
    if (first && this.forwarder.isSelf(first.uri)) {
      const out: Request = { ...request, headers: { ...request.headers, route: rest } };
      if (request.method === 'ACK') this.forwarder.forwardAck(out);
      else this.forwarder.forward(out);
      return;
    }
    if (request.method !== 'ACK') this.reply(request, 404, 'Not Here');
  }

  private async register(request: Request): Promise<void> {
    const to = addressOf(request.headers.to);
    const from = addressOf(request.headers.from);
    if (!to || !from) return this.reply(request, 400, 'Bad Request');
    const outcome = await this.digest.verify(request, from.domain, (user, domain) => this.auth.getCredentials(user, domain));
    if (outcome.kind !== 'ok') return this.challenge(request, 401, from.domain, outcome.kind === 'stale-nonce');
    if (outcome.user !== to.user || from.user !== to.user) return this.reply(request, 403, 'Forbidden auth ID');

    const changes = contactUpdates(request);
    if (changes === 'invalid') return this.reply(request, 400, 'Bad Contact');
    const bindings = changes === 'query' ? this.registrar.lookup(to.user, to.domain) : this.registrar.update(to.user, to.domain, changes);
    const now = Date.now();
    this.reply(request, 200, 'OK', {
      contact: bindings.map((b): NameAddr => ({ uri: b.contact, params: { expires: String(Math.max(0, Math.round((b.expiresAt - now) / 1000))) } })),
    });
  }

  private async call(request: Request, remote: Remote): Promise<void> {
    const from = addressOf(request.headers.from);
    if (!from) return this.reply(request, 400, 'Bad From');
    let out = request;
    if (!(await this.auth.allowAddress(remote.address, this.policy.trustedGroup, remote.port))) {
      const outcome = await this.digest.verify(request, from.domain, (user, domain) => this.auth.getCredentials(user, domain));
      if (outcome.kind !== 'ok') return this.challenge(request, 407, from.domain, outcome.kind === 'stale-nonce');
      if (outcome.user !== from.user) return this.reply(request, 403, 'Forbidden auth ID');
      if (!(await this.auth.isUserInGroup(from.user, from.domain, this.policy.callerGroup))) return this.reply(request, 403, 'Forbidden');
      // consume_credentials(): the next hop has no use for them.
      const others = request.headers['proxy-authorization']?.filter((h) => h !== outcome.header);
      out = { ...request, headers: { ...request.headers, 'proxy-authorization': others?.length ? others : undefined } };
    }

    const callee = sip.parseUri(request.uri);
    const binding = callee?.user === undefined ? undefined : this.registrar.lookup(callee.user, callee.host)[0];
    if (!binding) return this.reply(request, 404, 'Not Found');
    out = { ...out, uri: binding.contact };
    if (request.method === 'INVITE') out.headers = { ...out.headers, 'record-route': [this.forwarder.recordRoute(), ...(out.headers['record-route'] ?? [])] };
    this.forwarder.forward(out, (status) => this.policy.log?.(`${request.method} ${from.user}@${from.domain} -> ${binding.contact}: ${status} (forwarded)`));
  }

  private challenge(request: Request, status: 401 | 407, realm: string, stale: boolean): void {
    const header: AuthHeader = this.digest.challenge(realm, stale);
    this.reply(request, status, status === 401 ? 'Unauthorized' : 'Proxy Authentication Required', {
      [status === 401 ? 'www-authenticate' : 'proxy-authenticate']: [header],
    });
  }

  /** A final (or provisional) response generated here, with a To tag on finals. */
  private reply(request: Request, status: number, reason: string, headers: Record<string, unknown> = {}): void {
    const response: Message = sip.makeResponse(request, status, reason);
    if (status > 100) {
      const to = request.headers.to;
      response.headers.to = { ...to, params: { ...to.params, tag: to.params['tag'] ?? randomBytes(6).toString('hex') } };
    }
    Object.assign(response.headers, headers);
    sip.send(response);
    this.policy.log?.(`${request.method} ${sip.stringifyUri(request.uri)}: ${status} ${reason}`);
  }
}

/** User and domain of a From/To URI (the user may be empty). */
function addressOf(nameAddr: NameAddr | undefined): { user: string; domain: string } | undefined {
  const uri = nameAddr ? sip.parseUri(nameAddr.uri) : undefined;
  return uri ? { user: uri.user ?? '', domain: uri.host } : undefined;
}

/** The REGISTER's contact changes, 'query' without Contact, 'invalid' for a `*` not with Expires: 0. */
function contactUpdates(request: Request): readonly ContactUpdate[] | 'remove-all' | 'query' | 'invalid' {
  const contacts = request.headers.contact;
  const expiresHeader = request.headers['expires'] === undefined ? undefined : Number(request.headers['expires']);
  if (contacts === undefined) return 'query';
  if (contacts === '*') return expiresHeader === 0 ? 'remove-all' : 'invalid';
  const updates: ContactUpdate[] = [];
  for (const contact of contacts) {
    const param = contact.params['expires'];
    const expiresS = param !== undefined && param !== null ? Number(param) : expiresHeader;
    if (expiresS !== undefined && !(Number.isInteger(expiresS) && expiresS >= 0)) return 'invalid';
    updates.push({ contact: sip.stringifyUri(contact.uri), expiresS });
  }
  return updates;
}
