/**
 * The one-word health status from the broker connection's state: what
 * /health answers without a key, and the `status` of the full health body.
 * Kept apart from health() so the keyless answer, which load balancers poll
 * many times a second, costs no store read (health() reads the kill switch,
 * the working orders and the store's latency for the details only a key sees).
 */
import type { BrokerStatus, Health } from '../models.js';

export function healthStatusOf(state: BrokerStatus['state']): Health['status'] {
  return state === 'connected' ? 'ok' : state === 'disconnected' ? 'down' : 'degraded';
}
