/**
 * The tws broker: IB Gateway / TWS through @stoqey/ib.
 */
import type { Broker } from '../../core/broker/port.js';
import { TwsBroker, type TwsBrokerOptions } from './broker.js';

export { TwsBroker };
export type { TwsBrokerOptions };
export { IBKR_CODES, classify, ibkrError } from '../../ibkr/error-codes.js';

export function createTwsBroker(options: TwsBrokerOptions): Broker & TwsBroker {
  return new TwsBroker(options);
}
