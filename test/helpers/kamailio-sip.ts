/**
 * A minimal SIP user agent over UDP on 127.0.0.1, for tests that ask a Kamailio one question many
 * times in a row to time a change (sipp's start-up per run would blur the delays being measured;
 * case-by-case comparisons use sipp). It sends one request, answers a 401/407 challenge with RFC
 * 2617 digest credentials (qop=auth when offered), retransmits every 500 ms until a final answer,
 * and returns the final response's status and headers.
 */
import { createHash, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';

/** One request to send. */
export interface SipRequest {
  /** `REGISTER`, `OPTIONS`, ... */
  readonly method: string;
  /** The From (and To) user. */
  readonly user: string;
  /** The From (and To, and Request-URI) domain. */
  readonly domain: string;
  /** Extra headers, `Name: value` each. */
  readonly headers?: readonly string[];
  /** Answer a challenge with these; without, a 401/407 is the answer. */
  readonly credentials?: { readonly username: string; readonly password: string };
}

/** A final response. */
export interface SipResponse {
  readonly status: number;
  /** Header values by lower-case name (the first of each name). */
  readonly headers: ReadonlyMap<string, string>;
}

const LOOPBACK = '127.0.0.1';

/** A UDP socket on 127.0.0.1 asking one Kamailio, one request at a time. */
export class SipClient {
  private pending: ((message: string) => void) | undefined;
  private counter = 0;

  private constructor(
    private readonly socket: dgram.Socket,
    private readonly target: { readonly host: string; readonly port: number },
  ) {
    socket.on('message', (message) => this.pending?.(message.toString('utf8')));
  }

  /** Binds a socket on 127.0.0.1 (any free port). */
  static async open(target: { readonly host: string; readonly port: number }): Promise<SipClient> {
    if (target.host !== LOOPBACK) throw new Error(`SipClient talks to ${LOOPBACK} only, not ${target.host}`);
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: LOOPBACK, port: 0 }, () => resolve());
    });
    return new SipClient(socket, target);
  }

  /** Sends `request` (answering one challenge) and resolves with the final response. */
  async send(request: SipRequest, timeoutMs = 10_000): Promise<SipResponse> {
    const callId = `${randomBytes(8).toString('hex')}@${LOOPBACK}`;
    const tag = randomBytes(4).toString('hex');
    let response = await this.transaction(this.build(request, callId, tag, 1, []), timeoutMs);
    const challenge = response.headers.get('www-authenticate') ?? response.headers.get('proxy-authenticate');
    if ((response.status === 401 || response.status === 407) && challenge !== undefined && request.credentials) {
      const header = response.status === 401 ? 'Authorization' : 'Proxy-Authorization';
      const authorization = digest(challenge, request.method, requestUri(request), request.credentials);
      response = await this.transaction(this.build(request, callId, tag, 2, [`${header}: ${authorization}`]), timeoutMs);
    }
    return response;
  }

  /** Closes the socket. */
  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private build(request: SipRequest, callId: string, tag: string, cseq: number, auth: readonly string[]): { text: string; branch: string } {
    this.counter += 1;
    const branch = `z9hG4bK-${randomBytes(6).toString('hex')}-${this.counter}`;
    const { port } = this.socket.address();
    const aor = `sip:${request.user}@${request.domain}`;
    const text = [
      `${request.method} ${requestUri(request)} SIP/2.0`,
      `Via: SIP/2.0/UDP ${LOOPBACK}:${port};branch=${branch}`,
      `From: <${aor}>;tag=${tag}`,
      `To: <${aor}>`,
      `Call-ID: ${callId}`,
      `CSeq: ${cseq} ${request.method}`,
      `Contact: <sip:${request.user}@${LOOPBACK}:${port}>`,
      'Max-Forwards: 10',
      'Expires: 0',
      ...auth,
      ...(request.headers ?? []),
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    return { text, branch };
  }

  /** Sends until a final response with our branch arrives (retransmitting every 500 ms). */
  private transaction(message: { text: string; branch: string }, timeoutMs: number): Promise<SipResponse> {
    return new Promise((resolve, reject) => {
      const send = (): void => this.socket.send(message.text, this.target.port, this.target.host);
      const retransmit = setInterval(send, 500);
      const timer = setTimeout(() => finish(new Error(`no final SIP response within ${timeoutMs} ms`)), timeoutMs);
      const finish = (outcome: SipResponse | Error): void => {
        clearInterval(retransmit);
        clearTimeout(timer);
        this.pending = undefined;
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      this.pending = (text) => {
        const response = parseResponse(text);
        if (response === undefined || response.status < 200) return;
        if (!(response.headers.get('via') ?? '').includes(message.branch)) return;
        finish(response);
      };
      send();
    });
  }
}

function requestUri(request: SipRequest): string {
  return `sip:${request.domain}`;
}

function parseResponse(text: string): SipResponse | undefined {
  const [first, ...lines] = text.split('\r\n');
  const status = /^SIP\/2\.0 (\d{3}) /.exec(first ?? '');
  if (!status) return undefined;
  const headers = new Map<string, string>();
  for (const line of lines) {
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  return { status: Number(status[1]), headers };
}

const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

/** The Authorization value answering `challenge` (RFC 2617, MD5, qop=auth when offered). */
function digest(challenge: string, method: string, uri: string, credentials: { username: string; password: string }): string {
  const params = new Map<string, string>();
  for (const match of challenge.replace(/^Digest\s+/i, '').matchAll(/([a-zA-Z]+)=(?:"([^"]*)"|([^,\s]*))/g)) {
    params.set((match[1] ?? '').toLowerCase(), match[2] ?? match[3] ?? '');
  }
  const realm = params.get('realm') ?? '';
  const nonce = params.get('nonce') ?? '';
  const ha1 = md5(`${credentials.username}:${realm}:${credentials.password}`);
  const ha2 = md5(`${method}:${uri}`);
  const fields = [`username="${credentials.username}"`, `realm="${realm}"`, `nonce="${nonce}"`, `uri="${uri}"`, 'algorithm=MD5'];
  const qop = (params.get('qop') ?? '').split(',').map((q) => q.trim());
  if (qop.includes('auth')) {
    const cnonce = randomBytes(8).toString('hex');
    const nc = '00000001';
    fields.push(`response="${md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`)}"`, 'qop=auth', `nc=${nc}`, `cnonce="${cnonce}"`);
  } else {
    fields.push(`response="${md5(`${ha1}:${nonce}:${ha2}`)}"`);
  }
  const opaque = params.get('opaque');
  if (opaque !== undefined) fields.push(`opaque="${opaque}"`);
  return `Digest ${fields.join(', ')}`;
}
