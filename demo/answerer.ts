/**
 * What a proxy node asks its auth backend, whichever backend it is: MySQL directly (phase A) or
 * authring (phase B). Answers are encoded as one line per SIP request so that the two phases'
 * answers can be compared byte for byte.
 */
import type { Question } from './workload.js';

/** Digest credentials as auth_db reads them. */
export interface DemoCredentials {
  readonly ha1: string;
  readonly ha1b: string;
}

/** An auth backend: Kamailio's three questions. */
export interface Answerer {
  /** `is_user_in(user@domain, group)`. */
  isUserInGroup(user: string, domain: string, group: string): Promise<boolean>;
  /** auth_db's subscriber lookup; `undefined` when there is no such subscriber. */
  getCredentials(user: string, domain: string): Promise<DemoCredentials | undefined>;
  /** `allow_address(group, ip, port)`. */
  allowAddress(ip: string, group: number, port: number): Promise<boolean>;
  /** SQL queries this node sent while replaying (phase A: every query; phase B: cache loads). */
  workloadQueries(): number;
  /** Closes connections. */
  close(): Promise<void>;
}

/** The three answers of one request, as one comparable line: `group|ha1/ha1b or -|address`. */
export function encodeAnswers(inGroup: boolean, credentials: DemoCredentials | undefined, allowed: boolean): string {
  const secret = credentials === undefined ? '-' : `${credentials.ha1}/${credentials.ha1b}`;
  return `${inGroup ? 1 : 0}|${secret}|${allowed ? 1 : 0}`;
}

/** The three questions of a request, as one line, for mismatch reports. */
export function describeQuestion(q: Question): string {
  return `is_user_in(${q.user}@${q.domain}, ${q.group}), credentials(${q.user}@${q.domain}), allow_address(${q.addressGroup}, ${q.ip}, ${q.port})`;
}
