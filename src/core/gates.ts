/**
 * The safety gates: the one function that decides whether an order may be
 * transmitted. The order path calls it for every order, start-up calls it too
 * (DESIGN.md "Safety gates"). It is pure except for the override-file check,
 * which is injected so tests can cover every combination.
 *
 * The override must be a regular file (a symbolic link to one counts): a
 * directory, a dangling link, a socket or a FIFO at that path is no override,
 * so a stray `mkdir` or a link whose target was removed never enables live trading.
 *
 * Order of the checks, first match wins:
 *   1. kill switch engaged                 -> BLOCK  KILL_SWITCH_ENGAGED
 *   2. ORDERS_ENABLED=false                -> SIMULATE (validated, recorded, not sent)
 *   3. live without the override file      -> BLOCK  LIVE_OVERRIDE_MISSING
 *   4. account kind differs from the mode  -> BLOCK  ACCOUNT_MODE_MISMATCH
 *   5. connection to IBKR degraded (1100)  -> BLOCK  BROKER_DEGRADED
 *   6. otherwise                           -> TRANSMIT (live: with a warning)
 */
import { statSync } from 'node:fs';
import type { Config } from './config.js';
import type { ErrorCode } from './errors.js';
import { TradingDisabledError } from './errors.js';
import type { BrokerKind, ConnectionState, GateOutcome, KillSwitchState, TradingMode } from './models.js';

/** What the gates knew when they decided; stored with every audit row. */
export interface ConfigSnapshot extends Record<string, unknown> {
  broker: BrokerKind;
  tradingMode: TradingMode;
  ordersEnabled: boolean;
  liveOverrideFile: string | null;
  liveOverridePresent: boolean;
  killSwitchEngaged: boolean;
  accountId: string | null;
  accountKind: 'paper' | 'live' | 'unknown';
  brokerState: ConnectionState | null;
}

export interface GateInput {
  config: Pick<Config, 'broker' | 'tradingMode' | 'ordersEnabled' | 'liveOverrideFile'>;
  killSwitch: Pick<KillSwitchState, 'engaged' | 'reason'>;
  /** The account the order goes to; null at start-up before the broker is connected. */
  accountId: string | null;
  brokerState: ConnectionState | null;
  fileExists?: (path: string) => boolean;
}

export type GateBlockCode = Extract<ErrorCode, 'KILL_SWITCH_ENGAGED' | 'LIVE_OVERRIDE_MISSING' | 'ACCOUNT_MODE_MISMATCH' | 'BROKER_DEGRADED'>;

export interface GateDecision {
  outcome: GateOutcome;
  code: GateBlockCode | null;
  reason: string;
  warning: string | null;
  snapshot: ConfigSnapshot;
}

/** IBKR paper account ids start with D (DU..., DF...). */
export const accountKind = (accountId: string | null): ConfigSnapshot['accountKind'] =>
  accountId === null || accountId === '' ? 'unknown' : accountId.startsWith('D') ? 'paper' : 'live';

/** True only for a regular file (following links); a directory, a dangling link or anything unreadable is absent. */
export function isRegularFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export function evaluateGates(input: GateInput): GateDecision {
  const { config, killSwitch, accountId, brokerState } = input;
  const fileExists = input.fileExists ?? isRegularFile;
  const overridePresent = config.liveOverrideFile !== null && fileExists(config.liveOverrideFile);
  const kind = accountKind(accountId);
  // In sorted key order: it is the config_snapshot of each order's ORDER_SUBMITTED row, whose canonical JSON then
  // writes it as it is rather than a sorted copy (hashing.ts).
  const snapshot: ConfigSnapshot = {
    accountId,
    accountKind: kind,
    broker: config.broker,
    brokerState,
    killSwitchEngaged: killSwitch.engaged,
    liveOverrideFile: config.liveOverrideFile,
    liveOverridePresent: overridePresent,
    ordersEnabled: config.ordersEnabled,
    tradingMode: config.tradingMode,
  };
  const decide = (outcome: GateOutcome, code: GateBlockCode | null, reason: string, warning: string | null = null): GateDecision => ({
    outcome,
    code,
    reason,
    warning,
    snapshot,
  });

  if (killSwitch.engaged) {
    return decide('BLOCK', 'KILL_SWITCH_ENGAGED', `Kill switch engaged${killSwitch.reason ? `: ${killSwitch.reason}` : ''}. No new orders until an admin releases it.`);
  }
  if (!config.ordersEnabled) {
    return decide('SIMULATE', null, 'ORDERS_ENABLED=false: the order is validated and recorded as SIMULATED; nothing is sent.');
  }
  if (config.tradingMode === 'live' && !overridePresent) {
    const where = config.liveOverrideFile === null ? 'LIVE_TRADING_OVERRIDE_FILE is not set' : `${config.liveOverrideFile} is not a regular file (missing, a directory or a dangling link)`;
    return decide('BLOCK', 'LIVE_OVERRIDE_MISSING', `TRADING_MODE=live with orders enabled, but ${where}. Nothing was sent.`);
  }
  if (kind !== 'unknown' && kind !== config.tradingMode) {
    return decide(
      'BLOCK',
      'ACCOUNT_MODE_MISMATCH',
      `TRADING_MODE=${config.tradingMode} but account ${accountId} is a ${kind} account${kind === 'live' ? ' (paper ids start with D)' : ''}. Nothing was sent.`,
    );
  }
  if (brokerState === 'degraded') {
    return decide('BLOCK', 'BROKER_DEGRADED', 'The connection between the gateway and IBKR servers is lost (1100); new orders are held until it returns.');
  }
  if (config.tradingMode === 'live') {
    return decide('TRANSMIT', null, 'Live trading: orders enabled and the override file is present.', `LIVE ORDER: ${config.liveOverrideFile} present; this order goes to a live account.`);
  }
  return decide('TRANSMIT', null, `Paper trading: orders enabled${accountId ? ` for paper account ${accountId}` : ''}.`);
}

/** Throws the gate's error for a BLOCK decision. */
export function assertNotBlocked(decision: GateDecision): void {
  if (decision.outcome === 'BLOCK' && decision.code !== null) {
    throw new TradingDisabledError(decision.reason, decision.code, { gate: decision.code, snapshot: decision.snapshot });
  }
}

/**
 * Start-up check (the seed's config.validate()): live trading with orders
 * enabled but no override file is a configuration error, so the process
 * refuses to start rather than start in a state that silently blocks.
 */
export function startupGateProblem(config: Config, fileExists: (path: string) => boolean = isRegularFile): { variable: string; message: string } | null {
  if (config.tradingMode === 'live' && config.ordersEnabled && (config.liveOverrideFile === null || !fileExists(config.liveOverrideFile))) {
    return {
      variable: 'LIVE_TRADING_OVERRIDE_FILE',
      message:
        config.liveOverrideFile === null
          ? 'Invalid configuration: TRADING_MODE=live with ORDERS_ENABLED=true requires LIVE_TRADING_OVERRIDE_FILE naming a file that exists'
          : `Invalid configuration: TRADING_MODE=live with ORDERS_ENABLED=true, but LIVE_TRADING_OVERRIDE_FILE=${config.liveOverrideFile} is not a regular file (missing, a directory or a dangling link)`,
    };
  }
  return null;
}
