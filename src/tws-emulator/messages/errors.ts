/**
 * ERR_MSG: errors, warnings and the info notices (farm status, connectivity)
 * that TWS sends through the same message. At server version >= 166
 * (ADVANCED_ORDER_REJECT) a fifth field, the advanced-reject JSON, follows the
 * text; decoders read it, so it is always sent, empty when unused.
 */
import type { Field } from '../framing.js';
import { Msg } from '../protocol.js';

const ADVANCED_ORDER_REJECT = 166;
const VERSION = 2;

export function errorMessage(serverVersion: number, id: number, code: number, text: string): Field[] {
  const fields: Field[] = [Msg.ERR_MSG, VERSION, id, code, asciiEscape(text)];
  if (serverVersion >= ADVANCED_ORDER_REJECT) fields.push('');
  return fields;
}

/**
 * From server version 153 (ENCODE_MSG_ASCII7) clients un-escape `\uXXXX` in
 * error texts; a gateway escapes non-ASCII so the text survives any decoder.
 */
function asciiEscape(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
