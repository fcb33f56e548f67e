/**
 * The command-line form of the instrument, bar and order shapes in
 * core/models.ts: which fields are positional arguments, and the short flags
 * the CLI had before its options were generated from the schemas (each keeps
 * working as a hidden alias). Everything else about an option (its name,
 * description, choices and default) comes from the schema.
 */
import { HistoricalRequest, OrderModification, OrderSpec, SymbolSpec } from '../../core/models.js';
import { schemaFields } from '../schema-options.js';

const SHORT_FLAGS: Readonly<Record<string, string>> = {
  securityType: '--sec-type',
  limitPrice: '--limit',
  stopPrice: '--stop',
  trailingAmount: '--trail-amount',
  trailingPercent: '--trail-percent',
  timeInForce: '--tif',
  takeProfitPrice: '--take-profit',
  stopLossPrice: '--stop-loss',
  ocaGroup: '--oca',
};

/** `quote SYMBOL...`: the symbols are its own variadic argument; the other instrument fields are options. */
export const QUOTE_FIELDS = schemaFields(SymbolSpec, { omit: ['symbol'], aliases: SHORT_FLAGS });

/** `bars SYMBOL`: the instrument and the bar request. */
export const BARS_FIELDS = schemaFields(HistoricalRequest, { arguments: ['symbol'], aliases: SHORT_FLAGS });

/** `preview` / `place ACTION QUANTITY SYMBOL`: every OrderSpec field; a market order unless --order-type says otherwise. */
export const ORDER_FIELDS = schemaFields(OrderSpec, { arguments: ['action', 'quantity', 'symbol'], aliases: SHORT_FLAGS, defaults: { orderType: 'MKT' } });

/** `modify ORDER_ID`: one option per field a modification may change (OrderModification), with the same short aliases. */
export const MODIFY_FIELDS = schemaFields(OrderModification, { aliases: SHORT_FLAGS });
