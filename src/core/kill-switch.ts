/**
 * The kill switch: while engaged no new order passes the gates. There is one
 * desk-wide switch and, optionally, one per account; an order is stopped by
 * the desk switch or by its own account's. Each switch is kept in the store
 * beside the audit log, so it survives a restart and is shared by every
 * process on the store (every gateway on one PostgreSQL database), and every
 * change is an audit row (KILL_SWITCH). Cancelling working orders on engage is
 * the order service's job (and, in every other gateway, kill-switch-follow.ts);
 * this module holds and records the state.
 *
 * Reads are asked on every gate decision. They re-read the rows only when the
 * store's state mark moved (another process committed something, or this
 * connection wrote a named state), so a switch engaged by the CLI or a second
 * gateway stops this process's very next order, at the cost of one cheap mark
 * read per order; this gateway's own order rows do not make it re-read.
 */
import type { AuditStore } from './audit/types.js';
import type { Clock } from './clock.js';
import type { ConfigSnapshot } from './gates.js';
import { contextOf, type RequestContext } from './logging.js';
import type { KillSwitchState } from './models.js';

export const KILL_SWITCH_STATE = 'killSwitch';
const RELEASED: KillSwitchState = { engaged: false, reason: null, since: null, by: null };

/** The store name of one switch: the desk's (account null) or one account's. */
export const switchName = (account: string | null): string => (account === null ? KILL_SWITCH_STATE : `${KILL_SWITCH_STATE}:account:${account}`);

export interface SwitchChange {
  /** null: the desk-wide switch. */
  account?: string | null;
  /** Whether engaging asks every gateway to cancel its working orders (default true). */
  cancelWorking?: boolean;
  /** The request that asks for the change: its caller is `by`, its correlation id is on the rows (default: logging.ts contextOf). */
  request?: RequestContext;
}

export class KillSwitch {
  private readonly cache = new Map<string, KillSwitchState>();
  private seenMark: string | null = null;
  /** Engagements whose working-order cancels this process has run or started (name@since). */
  private readonly enforced = new Set<string>();

  constructor(
    private readonly audit: AuditStore,
    private readonly clock: Clock,
  ) {}

  /** The desk-wide switch. */
  state(): Promise<KillSwitchState> {
    return this.read(null);
  }

  /** One switch as stored: the desk's (null) or an account's. */
  async read(account: string | null): Promise<KillSwitchState> {
    // The state mark, not the change mark: the order path's own commits (every order) do not touch a switch.
    return this.readAt(await this.audit.stateMark(), account);
  }

  /** One switch as stored, from the cache while the state mark is `mark`. */
  private async readAt(mark: string, account: string | null): Promise<KillSwitchState> {
    if (mark !== this.seenMark) {
      // Forget before remembering the mark: a commit in between only causes one more read.
      this.cache.clear();
      this.seenMark = mark;
    }
    const name = switchName(account);
    let state = this.cache.get(name);
    if (state === undefined) {
      const stored = await this.audit.getState<KillSwitchState>(name);
      state = stored === null ? RELEASED : { ...stored, ...(account === null ? {} : { account }) };
      this.cache.set(name, state);
    }
    return state;
  }

  /** What stops an order of `account`: the desk switch if engaged, else the account's own. */
  async effective(account: string | null): Promise<KillSwitchState> {
    // One mark for both switches (one store read per order when nothing changed).
    const mark = await this.audit.stateMark();
    const desk = await this.readAt(mark, null);
    if (desk.engaged || account === null) return desk;
    const own = await this.readAt(mark, account);
    return own.engaged ? { ...own, reason: `account ${account}: ${own.reason ?? 'no reason'}` } : desk;
  }

  /** The engaged switches among `accounts` (for GET and /health). */
  async engagedAccounts(accounts: readonly string[]): Promise<KillSwitchState[]> {
    const states = await Promise.all(accounts.map((a) => this.read(a)));
    return states.filter((s) => s.engaged);
  }

  /** Records and persists a change; returns the new state. A no-op change is still recorded (someone asked). */
  async set(engaged: boolean, reason: string | null, snapshot: ConfigSnapshot | null, change: SwitchChange = {}): Promise<KillSwitchState> {
    const account = change.account ?? null;
    const ctx = contextOf(change.request);
    const by = ctx.apiKeyName ? `${ctx.interface}:${ctx.apiKeyName}` : ctx.interface;
    const previous = await this.read(account);
    const next: KillSwitchState = engaged
      ? {
          engaged: true,
          reason: reason ?? 'engaged without a reason',
          since: new Date(this.clock.now()).toISOString(),
          by,
          cancelWorking: change.cancelWorking !== false,
          ...(account === null ? {} : { account }),
        }
      : { ...RELEASED, ...(account === null ? {} : { account }) };
    // The caller that engages cancels this process's working orders itself: claimed before the switch
    // reaches the store, so this process's follower, waking on that write, does not cancel them too.
    if (engaged) this.claimEnforcement(next);
    await this.audit.append({
      correlationId: ctx.correlationId,
      eventType: 'KILL_SWITCH',
      eventData: { engaged, reason, previous, by, account, cancelWorking: engaged ? change.cancelWorking !== false : null },
      userContext: { interface: ctx.interface, apiKeyName: ctx.apiKeyName },
      accountId: account,
      orderId: null,
      configSnapshot: snapshot,
    });
    await this.audit.setState(switchName(account), next, { correlationId: ctx.correlationId });
    return this.read(account);
  }

  /**
   * Claims the cancels of one engagement for this process: true the first time
   * it is asked for (name, since), false after. set() claims an engagement it
   * writes, so only the caller that engaged cancels in this process.
   */
  claimEnforcement(state: KillSwitchState): boolean {
    if (!state.engaged || state.since === null) return false;
    const key = `${switchName(state.account ?? null)}@${state.since}`;
    if (this.enforced.has(key)) return false;
    this.enforced.add(key);
    return true;
  }

  /** Gives a claim back when its cancels could not even start (store or broker down), so the next look tries again. */
  releaseEnforcement(state: KillSwitchState): void {
    if (state.since !== null) this.enforced.delete(`${switchName(state.account ?? null)}@${state.since}`);
  }
}
