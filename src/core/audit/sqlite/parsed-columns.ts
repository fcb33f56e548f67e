/**
 * The two JSON columns (spec, fills) of the order_history rows the SQLite
 * store keeps in memory (the latest versions, the versions it writes, the
 * filled rows fillsSince answers from), parsed once per row instead of at
 * every read. An order's versions were each parsed again when written
 * (appendInTransaction answers with the version it built) and when read
 * (updateOrder reads the latest before each new version; the order path
 * reads it back): about ten parses of the same spec per REST order.
 *
 * Rows are never changed (the table is append-only), so a parse never goes
 * stale. Every caller still gets objects of its own, as JSON.parse gave it:
 * a copy is a spread of each parsed object, which is exactly what parsing the
 * text again returns (same keys, same order, same values) as long as every
 * value is a string, number, boolean or null. OrderSpecOutput and Fill are
 * such objects; a text holding anything else is parsed at every use.
 */
import type { Fill, OrderSpecOutput } from '../../models.js';
import { fromJsonText } from '../json.js';
import type { HistoryRow } from '../rows.js';

/** A parsed JSON object all of whose values are primitives. */
type Flat = Record<string, string | number | boolean | null>;

function isFlat(value: unknown): value is Flat {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  for (const v of Object.values(value)) if (v !== null && typeof v === 'object') return false;
  return true;
}

/** A row's parsed columns; null: the text is not flat, parse it at every use. */
interface Parsed {
  spec: Flat | null;
  fills: Flat[] | null;
}

const NO_FILLS = '[]';

function parseSpec(text: string): Flat | null {
  const value = fromJsonText<unknown>(text);
  return isFlat(value) ? value : null;
}

function parseFills(text: string): Flat[] | null {
  if (text === NO_FILLS) return [];
  const value = fromJsonText<unknown>(text);
  return Array.isArray(value) && value.every(isFlat) ? value : null;
}

/**
 * Where a row's parse is kept: on the row itself, under a symbol (JSON, SQLite's named parameters and
 * the row's hash never see it). A WeakMap would keep it as well, at a cost in every garbage collection
 * while the rows it keys are alive (its entries are ephemerons).
 */
const PARSED = Symbol('parsed columns');
type Kept = HistoryRow & { [PARSED]?: Parsed };

export class ParsedColumns {
  /**
   * Parses `row`'s columns unless already done. `previous`: the version before it,
   * whose parse is taken for a column with the same text (an order's spec never
   * changes between versions, its fills seldom).
   */
  of(row: HistoryRow, previous?: HistoryRow): Parsed {
    let p = (row as Kept)[PARSED];
    if (p !== undefined) return p;
    const before = previous === undefined ? undefined : (previous as Kept)[PARSED];
    p = {
      spec: before !== undefined && previous?.spec === row.spec ? before.spec : parseSpec(row.spec),
      fills: before !== undefined && previous?.fills === row.fills ? before.fills : parseFills(row.fills),
    };
    (row as Kept)[PARSED] = p;
    return p;
  }

  /** The row's spec, a fresh object as JSON.parse(row.spec) would give. */
  spec(row: HistoryRow, p = this.of(row)): OrderSpecOutput {
    return (p.spec === null ? fromJsonText<OrderSpecOutput>(row.spec) : { ...p.spec }) as OrderSpecOutput;
  }

  /** The row's fills, fresh objects as JSON.parse(row.fills) would give. */
  fills(row: HistoryRow, p = this.of(row)): Fill[] {
    if (p.fills === null) return fromJsonText<Fill[]>(row.fills);
    return p.fills.map((f) => ({ ...f })) as unknown as Fill[];
  }

  /** The fills of `row` at or after `fromIso` (`timeOf` normalises a fill's time), fresh objects. */
  fillsFrom(row: HistoryRow, fromIso: string, timeOf: (f: Fill) => string, into: Fill[]): void {
    const p = this.of(row);
    if (p.fills === null) {
      for (const f of fromJsonText<Fill[]>(row.fills)) if (timeOf(f) >= fromIso) into.push(f);
      return;
    }
    for (const f of p.fills as unknown as Fill[]) if (timeOf(f) >= fromIso) into.push({ ...f });
  }
}
