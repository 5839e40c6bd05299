/**
 * The correctness check: every node's answers with authring against its answers from MySQL,
 * request by request. Checksums settle the common case; when they differ, each differing request
 * is classified as a wrong answer (both phases answered, differently) or a failed lookup (a
 * lookup threw, e.g. `E_DEADLINE` on an overloaded machine: no answer, not a wrong one).
 */
import { describeQuestion } from './answerer.js';
import type { PhaseResult } from './phase.js';
import type { NodeResult } from './protocol.js';
import type { Question } from './workload.js';

/** A request the two phases answered differently. */
export interface Mismatch {
  readonly node: number;
  readonly request: number;
  readonly question: string;
  readonly withoutAuthring: string;
  readonly withAuthring: string;
}

/** The check's outcome. */
export interface AnswerCheck {
  /** True when no request got different answers (failed lookups aside). */
  readonly agree: boolean;
  /** Nodes whose checksum is the same in both phases. */
  readonly nodesIdentical: number;
  /** Requests answered in both phases, and compared. */
  readonly compared: number;
  /** Requests answered differently. */
  readonly wrong: number;
  /** Requests where a lookup failed, by error code, per phase. */
  readonly failed: { readonly withoutAuthring: Readonly<Record<string, number>>; readonly withAuthring: Readonly<Record<string, number>> };
  /** The first few wrong answers. */
  readonly mismatches: readonly Mismatch[];
  /** The first few failed lookups. */
  readonly failures: readonly Mismatch[];
  /** Shares of requests answered "yes" (phase A), to show the check compares real answers. */
  readonly inGroup: number;
  readonly withCredentials: number;
  readonly addressAllowed: number;
}

const isError = (line: string): boolean => line.startsWith('ERR');
const errorCode = (line: string): string => line.split(' ')[1] || 'error';

function share(results: readonly NodeResult[], test: (fields: string[]) => boolean): number {
  const lines = results.flatMap((r) => r.answers).filter((line) => !isError(line));
  return lines.length === 0 ? 0 : lines.filter((line) => test(line.split('|'))).length / lines.length;
}

/**
 * Compares the phases.
 *
 * @param questionsOf a node's questions, to describe differing requests.
 * @param limit how many examples of each kind to keep.
 */
export function compareAnswers(a: PhaseResult, b: PhaseResult, questionsOf: (node: number) => readonly Question[], limit = 5): AnswerCheck {
  const failedA: Record<string, number> = {};
  const failedB: Record<string, number> = {};
  const mismatches: Mismatch[] = [];
  const failures: Mismatch[] = [];
  let compared = 0;
  let wrong = 0;
  let nodesIdentical = 0;
  for (const nodeA of a.nodes) {
    const nodeB = b.nodes.find((n) => n.node === nodeA.node);
    const answersB = nodeB?.answers ?? [];
    if (nodeB?.checksum === nodeA.checksum && answersB.length === nodeA.answers.length) {
      nodesIdentical += 1;
      compared += nodeA.answers.length;
      continue;
    }
    const questions = questionsOf(nodeA.node);
    const length = Math.max(nodeA.answers.length, answersB.length);
    for (let i = 0; i < length; i += 1) {
      const answerA = nodeA.answers[i] ?? 'ERR missing';
      const answerB = answersB[i] ?? 'ERR missing';
      if (isError(answerA)) failedA[errorCode(answerA)] = (failedA[errorCode(answerA)] ?? 0) + 1;
      if (isError(answerB)) failedB[errorCode(answerB)] = (failedB[errorCode(answerB)] ?? 0) + 1;
      const failed = isError(answerA) || isError(answerB);
      if (!failed) compared += 1;
      if (answerA === answerB) continue;
      if (!failed) wrong += 1;
      const list = failed ? failures : mismatches;
      if (list.length >= limit) continue;
      const q = questions[i];
      list.push({ node: nodeA.node, request: i, question: q ? describeQuestion(q) : '?', withoutAuthring: answerA, withAuthring: answerB });
    }
  }
  return {
    agree: wrong === 0,
    nodesIdentical,
    compared,
    wrong,
    failed: { withoutAuthring: failedA, withAuthring: failedB },
    mismatches,
    failures,
    inGroup: share(a.nodes, (f) => f[0] === '1'),
    withCredentials: share(a.nodes, (f) => f[1] !== undefined && f[1] !== '-'),
    addressAllowed: share(a.nodes, (f) => f[2] === '1'),
  };
}
