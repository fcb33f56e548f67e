/**
 * The hash chains. Each row's hash covers the canonical JSON of the row's
 * stored column values (the hash column itself left out, NULL columns left
 * out so that a later migration adding a nullable column does not change old
 * rows' hashes) including prev_hash, the previous row's hash. Hashing the
 * values exactly as stored lets verify() recompute without re-encoding.
 *
 * Since schema 2 the hash is an HMAC-SHA-256 under a key kept outside the
 * database (key.ts): without the key, an edited row cannot be given a hash
 * that verifies. Rows written before the upgrade keep their plain SHA-256;
 * chain_anchors records, per chain, the first HMAC row and the hash of the
 * plain row before it, MACed, so the old rows are bound to the keyed part.
 *
 * Three chains: audit_log, order_history (see sqlite/store.ts for why two) and
 * state_log (kill-switch state and idempotency-key changes). chain_heads
 * remembers the last row of each, and the checkpoint file outside the
 * database (checkpoints.ts) remembers where each head has been.
 *
 * This file is back-end neutral: the rows come from whichever store walks
 * them (sqlite/chain-heads.ts reads them with one SELECT).
 */
import { createHmac } from 'node:crypto';
import { canonicalJson, sha256Hex } from '../hashing.js';
import type { AuditKey } from './key.js';

export const GENESIS_HASH = '0'.repeat(64);

export type ChainName = 'audit_log' | 'order_history' | 'state_log';
export const CHAINS: readonly ChainName[] = ['audit_log', 'order_history', 'state_log'];
export type Row = Record<string, string | number | null>;

/**
 * Column orders seen per chain, with their sorted order: a chain's rows come
 * with one of very few column lists (as built, as read back by SELECT *).
 */
const columnOrders = new Map<ChainName, Array<{ columns: string[]; sorted: SortedColumns | null }>>();

/** A column order, sorted, with each column's JSON key (`"name":`) written once rather than per row. */
export interface SortedColumns {
  names: readonly string[];
  keys: readonly string[];
  /** The builder's row as one object literal of its hashed columns in sorted order (see columnsOf), when it gave one. */
  content?: (row: Row) => RowContent;
}
/** A row's hashed columns: a null column is undefined here, so that JSON.stringify leaves it out as the hash does. */
export type RowContent = Record<string, string | number | undefined>;
const INTEGER_LIKE = /^(0|[1-9][0-9]*)$/;

/**
 * The sorted columns of a row builder that always builds rows with exactly these columns (row-builders.ts), so
 * that sealing a row it built need not list and match the row's keys (Object.keys and a comparison per row).
 *
 * `content`: the row's columns but hash as an object literal written in sorted order, each nullable column
 * `?? undefined`. JSON.stringify writes it in the order written and drops the undefined members, so its text is the
 * hashed text; and a literal keeps one fast object shape, where an object given its 20-odd columns one by one turns
 * into a dictionary past 16 properties, which JSON.stringify then serialises on its slow path (order_history rows,
 * 14.6 against 10.1 µs for three rows, 2026-12-04). Checked here, once: a literal that missed, added or misordered a
 * column would seal rows under a hash that verify() does not recompute, so it throws at load instead.
 */
export function columnsOf<R>(columns: ReadonlyArray<keyof R & string>, content?: (row: R) => RowContent): SortedColumns {
  if (columns.some((c) => INTEGER_LIKE.test(c) || c === '__proto__')) throw new Error(`a column name an object would not hold in sorted order: ${columns.join(', ')}`);
  const names = [...columns].sort();
  const sorted: SortedColumns = { names, keys: names.map((c) => `${JSON.stringify(c)}:`) };
  if (content === undefined) return sorted;
  const probe: Row = Object.fromEntries(names.map((c, i) => [c, `v${i}`]));
  const hashed = names.filter((c) => c !== 'hash');
  const written = Object.keys(content(probe as unknown as R));
  if (written.length !== hashed.length || written.some((c, i) => c !== hashed[i]) || JSON.stringify(content(probe as unknown as R)) !== `{${hashed.map((c) => `${JSON.stringify(c)}:"${probe[c] as string}"`).join(',')}}`) {
    throw new Error(`a row literal that is not its hashed columns in sorted order: ${written.join(', ')} (expected ${hashed.join(', ')})`);
  }
  return { ...sorted, content: content as unknown as (row: Row) => RowContent };
}

/** The sorted columns of `row`, or null when they need the general path (an integer-like name sorts differently in an object). */
function sortedColumns(chain: ChainName, row: Row): SortedColumns | null {
  const columns = Object.keys(row);
  let known = columnOrders.get(chain);
  if (known === undefined) columnOrders.set(chain, (known = []));
  for (const k of known) if (k.columns.length === columns.length && k.columns.every((c, i) => c === columns[i])) return k.sorted;
  const names = columns.some((c) => INTEGER_LIKE.test(c)) ? null : [...columns].sort();
  const sorted = names === null ? null : { names, keys: names.map((c) => `${JSON.stringify(c)}:`) };
  // A handful per chain; an unbounded variety (rows built by hand) just stops being remembered.
  if (known.length < 8) known.push({ columns, sorted });
  return sorted;
}

/**
 * The text a row's hash covers: canonicalJson({ chain, row }) of the row's
 * non-null columns but hash. The chain name is hashed too, so a row cannot be
 * moved to another table unnoticed. Written directly: the rows of one chain
 * always have the same columns, so their sorted order is computed once
 * instead of copying and sorting every row (the same text: chain.test.ts
 * holds it to canonicalJson). A value that is not a string or a number (a
 * tampered row read back as a BLOB) takes canonicalJson itself.
 */
function rowContent(chain: ChainName, row: Row, known?: SortedColumns): string {
  if (known !== undefined) return builtRowContent(chain, row, known);
  const columns = sortedColumns(chain, row);
  if (columns !== null) {
    const { names, keys } = columns;
    let text = '';
    for (let i = 0; i < names.length; i++) {
      const column = names[i] as string;
      const value: unknown = row[column];
      if (column === 'hash' || value === null || value === undefined) continue;
      if (typeof value !== 'string' && typeof value !== 'number') return generalRowContent(chain, row);
      text += `${text === '' ? '' : ','}${keys[i] as string}${JSON.stringify(value)}`;
    }
    return `{"chain":"${chain}","row":{${text}}}`;
  }
  return generalRowContent(chain, row);
}

/**
 * The same text for a row a builder made (its columns known, none integer-like or special): the builder's row
 * literal (columnsOf) when it gave one, else the non-null columns copied in sorted order into one object that
 * JSON.stringify writes in a single pass. Measured against writing the text piece by piece: the same CPU, 28% fewer
 * bytes allocated per row sealed (no string per column).
 */
function builtRowContent(chain: ChainName, row: Row, columns: SortedColumns): string {
  if (columns.content !== undefined) return JSON.stringify({ chain, row: columns.content(row) });
  const content: Record<string, string | number> = {};
  const { names } = columns;
  for (let i = 0; i < names.length; i++) {
    const column = names[i] as string;
    const value: unknown = row[column];
    if (column === 'hash' || value === null || value === undefined) continue;
    if (typeof value !== 'string' && typeof value !== 'number') return generalRowContent(chain, row);
    content[column] = value;
  }
  return JSON.stringify({ chain, row: content });
}

function generalRowContent(chain: ChainName, row: Row): string {
  const content: Record<string, string | number> = {};
  for (const [column, value] of Object.entries(row)) {
    if (column === 'hash' || value === null) continue;
    content[column] = value;
  }
  return canonicalJson({ chain, row: content });
}

/** The plain SHA-256 of rows written before the HMAC upgrade (schema 1). */
export function rowHash(chain: ChainName, row: Row): string {
  return sha256Hex(rowContent(chain, row));
}

/** Computes MACs under one key: rows, anchors and checkpoints (each a distinct top-level shape). */
export class Sealer {
  constructor(readonly key: AuditKey) {}

  mac(value: unknown): string {
    return createHmac('sha256', this.key.bytes).update(canonicalJson(value)).digest('hex');
  }

  /** `columns`: the row's columns as columnsOf() gave them, when the row is known to have exactly those (a built row). */
  row(chain: ChainName, row: Row, columns?: SortedColumns): string {
    return createHmac('sha256', this.key.bytes).update(rowContent(chain, row, columns)).digest('hex');
  }
}

export interface ChainHead {
  lastId: number;
  lastHash: string;
}

/** The id and prev_hash the row after `head` must have. */
export const nextAfter = (head: ChainHead | null): { id: number; prevHash: string } =>
  head ? { id: head.lastId + 1, prevHash: head.lastHash } : { id: 1, prevHash: GENESIS_HASH };

/** Where a chain switched from SHA-256 to HMAC (chain_anchors). */
export interface Anchor {
  firstMacId: number;
  prevHash: string;
}

export interface ChainCheck {
  ok: boolean;
  checkedRows: number;
  firstBadId: number | null;
  reason: string | null;
}

export const CHAIN_OK = (checkedRows: number): ChainCheck => ({ ok: true, checkedRows, firstBadId: null, reason: null });

/**
 * Walks one chain from its first row, fed row by row in id order (so a store
 * can stream them). step() reports the first row that fails: an id gap (a
 * row was removed), a prev_hash that is not the previous row's hash, or
 * content that no longer matches its hash or MAC (an edit); end() compares
 * the last row with the recorded head (rows removed from the end). `sealer`
 * null: the key is unavailable, so the first HMAC row cannot be checked.
 */
export class ChainWalk {
  private prevHash = GENESIS_HASH;
  private expectedId = 1;
  private checked = 0;

  constructor(
    private readonly chain: ChainName,
    private readonly anchor: Anchor,
    private readonly sealer: Sealer | null,
  ) {}

  private bad(id: number, reason: string): ChainCheck {
    return { ok: false, checkedRows: this.checked, firstBadId: id, reason: `${this.chain} row ${id}: ${reason}` };
  }

  private get rewrittenBeforeAnchor(): string {
    return `the rows before the HMAC upgrade (rows 1-${this.anchor.firstMacId - 1}) no longer end in the hash recorded at the upgrade: one of them was edited and the plain SHA-256 chain recomputed`;
  }

  /** null while the chain holds; the failure otherwise (stop walking). */
  step(row: Row): ChainCheck | null {
    const { chain, anchor, sealer } = this;
    const id = Number(row.id);
    if (id !== this.expectedId) {
      const missing = this.expectedId === id - 1 ? `row ${this.expectedId} is missing` : `rows ${this.expectedId}-${id - 1} are missing`;
      return this.bad(id, `${missing} (deleted)`);
    }
    if (row.prev_hash !== this.prevHash) return this.bad(id, 'prev_hash does not match the previous row (a row before it was removed or replaced)');
    if (id < anchor.firstMacId) {
      if (rowHash(chain, row) !== row.hash) return this.bad(id, 'content does not match its hash (the row was edited)');
    } else {
      if (id === anchor.firstMacId && this.prevHash !== anchor.prevHash) return this.bad(id, this.rewrittenBeforeAnchor);
      if (sealer === null) return this.bad(id, 'cannot be checked: the audit HMAC key is not available');
      if (sealer.row(chain, row) !== row.hash) return this.bad(id, 'content does not match its HMAC (the row was edited, or written without the key)');
    }
    this.prevHash = String(row.hash);
    this.expectedId = id + 1;
    this.checked += 1;
    return null;
  }

  /** After the last row: the table's end against the anchor and the recorded head. */
  end(head: ChainHead | null): ChainCheck {
    const { anchor, prevHash } = this;
    const lastId = this.expectedId - 1;
    if (lastId < anchor.firstMacId - 1) return this.bad(lastId + 1, `the table ends at row ${lastId} but held ${anchor.firstMacId - 1} rows at the HMAC upgrade (rows removed from the end)`);
    if (lastId === anchor.firstMacId - 1 && prevHash !== anchor.prevHash) return this.bad(lastId, this.rewrittenBeforeAnchor);
    if (head === null) {
      if (lastId === 0) return CHAIN_OK(0);
      return this.bad(1, 'the chain head record is missing');
    }
    if (head.lastId > lastId) return this.bad(lastId + 1, `the chain head records row ${head.lastId} but the table ends at row ${lastId} (rows removed from the end)`);
    if (head.lastId < lastId) return this.bad(head.lastId + 1, `rows after the chain head (row ${head.lastId}) were not written by the audit store`);
    if (head.lastHash !== prevHash) return this.bad(lastId, "the last row's hash differs from the one recorded in the chain head (the row was replaced)");
    return CHAIN_OK(this.checked);
  }
}
