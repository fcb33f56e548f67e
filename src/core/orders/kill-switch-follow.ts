/**
 * Every gateway on a store obeys a kill switch engaged anywhere: by another
 * gateway on the same PostgreSQL database, by the CLI beside it, or while this
 * one was down. The gates already refuse new orders on the next read of the
 * switch; this follower also cancels this gateway's own working orders (its
 * broker identity's), which only it can reach, when the switch asks for that
 * (cancelWorking, the default).
 *
 * It looks whenever the store's change mark moves (LISTEN/NOTIFY on
 * PostgreSQL, data_version on SQLite), at most every `intervalMs`, so the
 * cancels start within about that of the engage reaching the store. Each
 * engagement is enforced once per process (KillSwitch.claimEnforcement): the
 * gateway that engaged has already cancelled; a restart while the switch is
 * still engaged cancels anything that survived. Each run is one audit row,
 * KILL_SWITCH_ENFORCED, beside the per-order cancel rows.
 */
import type { KillSwitchState } from '../models.js';
import { systemContext } from '../logging.js';
import { cancelAllWorking } from './cancel.js';
import { auditRow, forRequest, type OrderContext } from './context.js';

const DEFAULT_INTERVAL_MS = 250;

export function followKillSwitch(ctx: OrderContext, intervalMs = DEFAULT_INTERVAL_MS): () => void {
  let lastMark: string | null = null;
  let running = false;
  let stopped = false;

  const enforce = async (state: KillSwitchState): Promise<void> => {
    if (!state.engaged || state.cancelWorking === false || !ctx.killSwitch.claimEnforcement(state)) return;
    const account = state.account ?? null;
    // System work: the cancels, the row and the line carry a correlation id of their own.
    const work = forRequest(ctx, systemContext());
    const result = await cancelAllWorking(work, account).catch((err: unknown) => {
      ctx.killSwitch.releaseEnforcement(state);
      throw err;
    });
    await ctx.audit.append(
      auditRow(
        work,
        'KILL_SWITCH_ENFORCED',
        { account, engagedBy: state.by, since: state.since, reason: state.reason, identities: ctx.scope().identities, ...result },
        { accountId: account, orderId: null, snapshot: null },
      ),
    );
    work.logger.warn({ account, engagedBy: state.by, ...result }, 'kill switch engaged elsewhere: this gateway cancelled its working orders');
  };

  const look = async (): Promise<void> => {
    if (running || stopped || !ctx.broker.status().connected) return;
    running = true;
    try {
      const mark = await ctx.audit.changeMark();
      if (mark === lastMark) return;
      lastMark = mark;
      await enforce(await ctx.killSwitch.read(null));
      for (const account of ctx.broker.accounts()) await enforce(await ctx.killSwitch.read(account));
    } catch (err) {
      // The store or broker is down: forget the mark so the next look tries again.
      lastMark = null;
      ctx.logger.error({ err }, 'kill switch follower could not read or enforce the switch');
    } finally {
      running = false;
    }
  };

  void look();
  const timer = setInterval(() => void look(), intervalMs);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
