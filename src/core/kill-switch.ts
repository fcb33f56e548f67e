/**
 * The kill switch: while engaged no new order passes the gates. Its state is
 * kept in the store beside the audit log, so it survives a restart and is
 * shared by every process on the DATA_DIR, and every change is an audit row
 * (KILL_SWITCH). Cancelling the working orders on engage is the order
 * service's job; this module only holds and records the state.
 *
 * state() is asked on every gate decision. It re-reads the row only when the
 * store's change mark moved (PRAGMA data_version: another process committed
 * something, or this connection did), so a switch engaged by the CLI or a
 * second gateway stops this process's very next order, at the cost of one
 * pragma per order rather than a table read.
 */
import type { AuditStore } from './audit/types.js';
import type { Clock } from './clock.js';
import type { ConfigSnapshot } from './gates.js';
import { currentContext } from './logging.js';
import type { KillSwitchState } from './models.js';

export const KILL_SWITCH_STATE = 'killSwitch';
const RELEASED: KillSwitchState = { engaged: false, reason: null, since: null, by: null };

export class KillSwitch {
  private current: KillSwitchState = RELEASED;
  private seenMark: string | null = null;

  constructor(
    private readonly audit: AuditStore,
    private readonly clock: Clock,
  ) {}

  async state(): Promise<KillSwitchState> {
    const mark = await this.audit.changeMark();
    if (mark !== this.seenMark) {
      // Read before remembering the mark: a commit in between only causes one more read.
      this.current = (await this.audit.getState<KillSwitchState>(KILL_SWITCH_STATE)) ?? RELEASED;
      this.seenMark = mark;
    }
    return this.current;
  }

  /** Records and persists a change; returns the new state. A no-op change is still recorded (someone asked). */
  async set(engaged: boolean, reason: string | null, snapshot: ConfigSnapshot | null): Promise<KillSwitchState> {
    const ctx = currentContext();
    const by = ctx.apiKeyName ? `${ctx.interface}:${ctx.apiKeyName}` : ctx.interface;
    const previous = await this.state();
    const next: KillSwitchState = engaged
      ? { engaged: true, reason: reason ?? 'engaged without a reason', since: new Date(this.clock.now()).toISOString(), by }
      : RELEASED;
    await this.audit.append({
      correlationId: ctx.correlationId,
      eventType: 'KILL_SWITCH',
      eventData: { engaged, reason, previous, by },
      userContext: { interface: ctx.interface, apiKeyName: ctx.apiKeyName },
      accountId: null,
      orderId: null,
      configSnapshot: snapshot,
    });
    await this.audit.setState(KILL_SWITCH_STATE, next);
    return this.state();
  }
}
