/**
 * Narrow typings for the parts of the `sip` package (0.0.6, pure JavaScript, no types of its own)
 * that the example uses: the stack (`sip`) and the digest helpers (`sip/digest.js`). Shapes follow
 * the package's doc/api.markdown and its parser's output.
 */
declare module 'sip' {
  /** A parsed URI (`parseUri`). */
  export interface SipUri {
    schema?: string;
    user?: string;
    password?: string;
    host: string;
    /** NaN when the URI has no port. */
    port?: number;
    params: Record<string, string | null>;
    headers?: Record<string, string>;
  }

  /** A name-addr header value (From, To, Contact, Route, Record-Route). */
  export interface NameAddr {
    name?: string;
    uri: string | SipUri;
    params: Record<string, string | null>;
  }

  /** One Via header value. */
  export interface Via {
    version?: string;
    protocol?: string;
    host?: string;
    port?: number;
    params: Record<string, string | null>;
  }

  /** A Digest credentials or challenge header value; parameter values keep their quotes. */
  export interface AuthHeader {
    scheme: string;
    [parameter: string]: string | undefined;
  }

  /** Headers as the parser leaves them; unknown headers are strings. */
  export interface Headers {
    via: Via[];
    from: NameAddr;
    to: NameAddr;
    'call-id': string;
    cseq: { seq: number; method: string };
    contact?: NameAddr[] | '*';
    route?: NameAddr[];
    'record-route'?: NameAddr[];
    authorization?: AuthHeader[];
    'proxy-authorization'?: AuthHeader[];
    'www-authenticate'?: AuthHeader[];
    'proxy-authenticate'?: AuthHeader[];
    'content-length'?: number;
    [name: string]: unknown;
  }

  /** A request (`method`, `uri`) or a response (`status`, `reason`). */
  export interface Message {
    method?: string;
    uri?: string | SipUri;
    status?: number;
    reason?: string;
    version?: string;
    headers: Headers;
    content?: string;
  }

  /** A received request. */
  export interface Request extends Message {
    method: string;
    uri: string;
  }

  /** Where a message came from. */
  export interface Remote {
    protocol: string;
    address: string;
    port: number;
    local?: { address: string; port: number };
  }

  /** A transport flow, as `encodeFlowUri` takes it. */
  export interface Flow {
    protocol: string;
    address: string;
    port: number;
    local: { address: string; port: number };
  }

  /** Options of {@link start}. */
  export interface StartOptions {
    port?: number;
    address?: string;
    publicAddress?: string;
    hostname?: string;
    udp?: boolean;
    tcp?: boolean;
    logger?: {
      send?(message: Message, target: unknown): void;
      recv?(message: Message, remote: Remote): void;
      error?(error: unknown): void;
    };
  }

  /** Starts the stack; `onRequest` gets every request without a transaction yet. */
  export function start(options: StartOptions, onRequest: (request: Request, remote: Remote) => void): void;
  /** Stops the stack. */
  export function stop(): void;
  /** Sends a response (through its server transaction) or a request (a client transaction). */
  export function send(message: Message, onResponse?: (response: Message, remote?: Remote) => void): void;
  export function makeResponse(request: Message, status: number, reason?: string): Message;
  export function parseUri(uri: string | SipUri): SipUri | undefined;
  export function stringifyUri(uri: string | SipUri): string;
  export function copyMessage<T extends Message>(message: T, deep?: boolean): T;
  /** A `sip:` URI naming a flow; a request routed through it goes out on that flow. */
  export function encodeFlowUri(flow: Flow): SipUri;
}

declare module 'sip/digest.js' {
  /** RFC 2617 request-digest (the `response` parameter). */
  export function calculateDigest(input: {
    ha1: string;
    nonce: string;
    nc?: string;
    cnonce?: string;
    qop?: string;
    method: string;
    uri: string;
    entity?: string;
  }): string;
}
