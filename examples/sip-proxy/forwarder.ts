/**
 * Transaction-stateful forwarding on the `sip` stack: a request goes out in its own client
 * transaction, every response comes back through it and is relayed upstream through the
 * request's server transaction (the stack retransmits, absorbs ACKs of non-2xx finals and
 * answers 408 when the next hop is silent). A CANCEL for a pending INVITE is answered here and
 * sent on to the branch.
 *
 * Next hops are named explicitly. sip@0.0.6's `send` takes any URI whose host is its own
 * address for one of its flow tokens, so a contact on the proxy's own address (a phone on the
 * same host, every test on loopback) would be unreachable. When the next hop is an IP address,
 * the forwarder puts a flow route (`encodeFlowUri`) in front of the Route set; the stack
 * consumes it, sends to that address and leaves the message's own Route set as it was. Host
 * names are left to the stack's resolver (SRV, then A/AAAA).
 */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import sip, { type Message, type NameAddr, type Request, type Via } from 'sip';

/** This proxy's own address. */
export interface Self {
  readonly address: string;
  readonly port: number;
}

interface PendingInvite {
  /** The forwarded INVITE, kept to build the CANCEL. */
  readonly forwarded: Message;
  /** Our Via of the branch, once a provisional response named it. */
  branchVia: Via | undefined;
  cancelled: boolean;
}

/** Forwards requests statefully and relays their responses upstream. */
export class Forwarder {
  private readonly pending = new Map<string, PendingInvite>();

  constructor(private readonly self: Self) {}

  /** Is `uri` this proxy (its Record-Route)? */
  isSelf(uri: NameAddr['uri']): boolean {
    const parsed = sip.parseUri(uri);
    return parsed !== undefined && parsed.host === this.self.address && (Number.isNaN(parsed.port) || !parsed.port ? 5060 : parsed.port) === this.self.port;
  }

  /** Our Record-Route entry. */
  recordRoute(): NameAddr {
    return { uri: `sip:${this.self.address}:${this.self.port};lr`, params: {} };
  }

  /**
   * Sends `request` (already copied, its Request-URI and Route set final) to its next hop and
   * relays every response upstream; `onFinal` sees the final status. The stack consumes the
   * flow route before sending, so the forwarded message keeps its own Route set.
   */
  forward(request: Request, onFinal?: (status: number) => void): void {
    const key = transactionKey(request);
    const out = this.prepare(request);
    const invite: PendingInvite | undefined = request.method === 'INVITE' ? { forwarded: out, branchVia: undefined, cancelled: false } : undefined;
    if (invite) {
      this.pending.set(key, invite);
      sip.send(sip.makeResponse(request, 100, 'Trying'));
    }
    sip.send(this.withHop(out), (response) => {
      const status = response.status ?? 500;
      const ours = response.headers.via.shift();
      if (invite && status < 200 && ours && !invite.branchVia) {
        invite.branchVia = ours;
        if (invite.cancelled) this.sendCancel(invite);
      }
      if (status >= 200) this.pending.delete(key);
      if (status === 100) return; // hop by hop: the server transaction sent its own
      sip.send(response);
      if (status >= 200) onFinal?.(status);
    });
  }

  /** Relays an ACK for a 2xx (its own transaction-less request) to its next hop. */
  forwardAck(ack: Request): void {
    const out = this.prepare(ack);
    out.headers.via.unshift({ params: { branch: `z9hG4bK${randomBytes(8).toString('hex')}` } });
    sip.send(this.withHop(out));
  }

  /** Answers a CANCEL and cancels the matching INVITE's branch; false when there is none (481). */
  cancel(cancel: Request): boolean {
    const invite = this.pending.get(transactionKey(cancel));
    if (!invite) return false;
    sip.send(sip.makeResponse(cancel, 200, 'OK'));
    invite.cancelled = true;
    if (invite.branchVia) this.sendCancel(invite);
    return true;
  }

  private sendCancel(invite: PendingInvite): void {
    const { forwarded } = invite;
    const cancel: Message = {
      method: 'CANCEL',
      uri: forwarded.uri,
      headers: {
        via: [{ ...invite.branchVia, params: { ...invite.branchVia?.params } }],
        from: forwarded.headers.from,
        to: forwarded.headers.to,
        'call-id': forwarded.headers['call-id'],
        cseq: { seq: forwarded.headers.cseq.seq, method: 'CANCEL' },
        'max-forwards': '70',
        ...(forwarded.headers.route ? { route: [...forwarded.headers.route] } : {}),
      },
    };
    sip.send(this.withHop(cancel), () => undefined);
  }

  /** A copy with Max-Forwards decremented. */
  private prepare<T extends Message>(message: T): T {
    const out = sip.copyMessage(message);
    const maxForwards = Number(message.headers['max-forwards'] ?? 70);
    out.headers['max-forwards'] = String(Math.max(0, maxForwards - 1));
    if (out.headers.route) out.headers.route = [...out.headers.route];
    return out;
  }

  /** `message` with a flow route to its next hop when that hop is an IP address. */
  private withHop<T extends Message>(message: T): T {
    const routes = message.headers.route ?? [];
    const first = routes[0];
    const hop = sip.parseUri(first ? first.uri : (message.uri ?? ''));
    if (!hop || isIP(hop.host) === 0) return message;
    const protocol = (hop.params['transport'] ?? 'udp').toUpperCase();
    const port = hop.port && !Number.isNaN(hop.port) ? hop.port : protocol === 'TLS' ? 5061 : 5060;
    const flow = sip.encodeFlowUri({ protocol, address: hop.host, port, local: { address: this.self.address, port: this.self.port } });
    message.headers.route = [{ uri: flow, params: {} }, ...routes];
    return message;
  }
}

/** A server transaction's identity as the CANCEL matches it: Call-ID and the top Via's branch. */
function transactionKey(request: Message): string {
  return `${request.headers['call-id']}\n${request.headers.via[0]?.params['branch'] ?? ''}`;
}
