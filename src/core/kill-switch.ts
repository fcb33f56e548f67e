/**
 * The kill switch: while engaged no new order passes the gates. Its state is
 * kept beside the audit log so it survives a restart, and every change is an
 * audit row (KILL_SWITCH). Cancelling the working orders on engage is the
 * order service's job; this module only holds and records the state.
 */
import type { AuditStore } from './audit/types.js';
import type { Clock } from './clock.js';
import type { ConfigSnapshot } from './gates.js';
import { currentContext } from './logging.js';
import type { KillSwitchState } from './models.js';

const STATE_NAME = 'killSwitch';
const RELEASED: KillSwitchState = { engaged: false, reason: null, since: null, by: null };

export class KillSwitch {
  private current: KillSwitchState;

  constructor(
    private readonly audit: AuditStore,
    private readonly clock: Clock,
  ) {
    this.current = audit.getState<KillSwitchState>(STATE_NAME) ?? RELEASED;
  }

  state(): KillSwitchState {
    return this.current;
  }

  /** Records and persists a change; returns the new state. A no-op change is still recorded (someone asked). */
  set(engaged: boolean, reason: string | null, snapshot: ConfigSnapshot | null): KillSwitchState {
    const ctx = currentContext();
    const by = ctx.apiKeyName ? `${ctx.interface}:${ctx.apiKeyName}` : ctx.interface;
    const next: KillSwitchState = engaged
      ? { engaged: true, reason: reason ?? 'engaged without a reason', since: new Date(this.clock.now()).toISOString(), by }
      : RELEASED;
    this.audit.append({
      correlationId: ctx.correlationId,
      eventType: 'KILL_SWITCH',
      eventData: { engaged, reason, previous: this.current, by },
      userContext: { interface: ctx.interface, apiKeyName: ctx.apiKeyName },
      accountId: null,
      orderId: null,
      configSnapshot: snapshot,
    });
    this.audit.setState(STATE_NAME, next);
    this.current = next;
    return next;
  }
}
