/**
 * Which orders wait for a person. APPROVAL_REQUIRED sets the base policy
 * (none | agent | all); APPROVAL_FILE adds finer rules: any rule that matches
 * holds the order, and a per-key `never` lets that key's orders through
 * whatever else matches. The decision names its reasons, so the approver (and
 * the agent) can see why an order waits.
 */
import { readFileSync } from 'node:fs';
import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import { ApprovalRules } from '../models.js';

export interface ApprovalNeed {
  required: boolean;
  reasons: string[];
}

export interface OrderFacts {
  /** The placing API key's name; null for callers without one (library, local CLI). */
  keyName: string | null;
  symbol: string;
  /** The order's notional in the account currency, when it could be priced. */
  notional: number | null;
  now: number;
}

/** Reads and validates APPROVAL_FILE; a problem is a ConfigError naming the file and the field. */
export function loadApprovalRules(path: string | null): ApprovalRules | null {
  if (path === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError('APPROVAL_FILE', `Invalid configuration: APPROVAL_FILE ${path} cannot be read as JSON (${(err as Error).message})`);
  }
  const parsed = ApprovalRules.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError('APPROVAL_FILE', `Invalid configuration: APPROVAL_FILE ${path}: ${problems.join('; ')}`);
  }
  if (parsed.data.window) assertTimeZone(parsed.data.window.timeZone);
  return parsed.data;
}

/** True when the key is marked `agent` in API_KEYS. */
export function isAgentKey(config: Pick<Config, 'api'>, keyName: string | null): boolean {
  if (keyName === null) return false;
  return config.api.keys?.some((k) => k.name === keyName && k.agent === true) ?? false;
}

export function approvalNeed(config: Pick<Config, 'api' | 'approvals'>, rules: ApprovalRules | null, order: OrderFacts): ApprovalNeed {
  const perKey = order.keyName !== null ? rules?.keys?.[order.keyName] : undefined;
  if (perKey === 'never') return { required: false, reasons: [] };
  const reasons: string[] = [];
  if (perKey === 'always') reasons.push(`APPROVAL_FILE: every order of key ${order.keyName ?? ''} waits`);
  const policy = config.approvals.required;
  if (policy === 'all') reasons.push('APPROVAL_REQUIRED=all: every order waits');
  if (policy === 'agent' && isAgentKey(config, order.keyName)) reasons.push(`APPROVAL_REQUIRED=agent: key ${order.keyName ?? ''} is marked agent`);
  if (rules?.notionalAbove !== undefined && order.notional !== null && order.notional > rules.notionalAbove) {
    reasons.push(`APPROVAL_FILE: notional ${order.notional} is above ${rules.notionalAbove}`);
  }
  if (rules?.symbols?.includes(order.symbol.toUpperCase())) reasons.push(`APPROVAL_FILE: ${order.symbol.toUpperCase()} is on the approval list`);
  if (rules?.window && !insideWindow(rules.window, order.now)) {
    reasons.push(`APPROVAL_FILE: placed outside ${rules.window.from}-${rules.window.to} ${rules.window.timeZone}`);
  }
  return { required: reasons.length > 0, reasons };
}

/** Whether `now` falls in the daily window [from, to) of its time zone; a window past midnight (22:00-06:00) wraps. */
export function insideWindow(window: { from: string; to: string; timeZone: string }, now: number): boolean {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: window.timeZone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit' }).formatToParts(new Date(now));
  const hour = parts.find((p) => p.type === 'hour')?.value ?? '00';
  const minute = parts.find((p) => p.type === 'minute')?.value ?? '00';
  const at = `${hour}:${minute}`;
  return window.from <= window.to ? at >= window.from && at < window.to : at >= window.from || at < window.to;
}

function assertTimeZone(zone: string): void {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: zone });
  } catch {
    throw new ConfigError('APPROVAL_FILE', `Invalid configuration: APPROVAL_FILE window.timeZone ${zone} is not an IANA time zone`);
  }
}
