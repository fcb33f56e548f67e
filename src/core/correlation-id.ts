/**
 * Fresh correlation ids: a random prefix drawn once per process and a counter.
 *
 * A correlation id must be unique across processes and restarts (several
 * gateways write one audit store; audit queries filter by it) and must fit
 * the shape callers already see: a UUID. It need not be unguessable: it is a
 * label to follow a request through logs and audit rows, never a credential.
 * So the first 80 bits of a random v4 UUID are drawn at start and the last
 * group (48 bits, random in a v4 UUID) counts requests. The result is still a
 * well-formed v4 UUID; two processes collide only if they draw the same
 * 80-bit prefix. crypto.randomUUID per request cost ~1 µs of the quote
 * route's CPU (a profile under bench/api.js); this is a string concatenation.
 */
import { randomUUID } from 'node:crypto';

/** Requests one prefix can number: the 12 hex digits of a UUID's last group. */
const PER_PREFIX = 2 ** 48;
const ZEROS = '000000000000';

let prefix = freshPrefix();
let next = 0;

/** 'xxxxxxxx-xxxx-4xxx-yxxx-': everything of a random v4 UUID but its last group. */
function freshPrefix(): string {
  return randomUUID().slice(0, 24);
}

export function newCorrelationId(): string {
  if (next >= PER_PREFIX) {
    prefix = freshPrefix();
    next = 0;
  }
  const hex = (next++).toString(16);
  return prefix + ZEROS.slice(hex.length) + hex;
}
