/**
 * The status bar and the kill switch control. /health answers anyone with the
 * status alone; with the signed-in key it adds broker, mode and kill switch.
 */
import { api, ApiError, storedKey } from './api.js';
import { byId, h, replace, say } from './dom.js';
import { can } from './session.js';
import type { Health, HealthStatus, KillSwitchState } from './types.js';

let last: Health | null = null;
const listeners: Array<(health: Health) => void> = [];

/** Views that depend on the gateway's state (the ticket's gate note) subscribe here. */
export function onHealth(listener: (health: Health) => void): void {
  listeners.push(listener);
}

export const currentHealth = (): Health | null => last;

function chip(label: string, value: string, tone: 'ok' | 'warn' | 'bad' | 'plain', id?: string): HTMLElement {
  return h('li', { class: `chip ${tone}`, id }, h('span', { class: 'label' }, label), ' ', h('span', { class: 'value' }, value));
}

function render(health: Health | null, error: string | null, status?: HealthStatus): void {
  const list = byId('status');
  if (health === null) {
    if (status !== undefined) replace(list, chip('Gateway', status.status, status.status === 'ok' ? 'ok' : status.status === 'degraded' ? 'warn' : 'bad', 'st-gateway'));
    else replace(list, chip('Gateway', error ?? 'unreachable', 'bad', 'st-gateway'));
    return;
  }
  const b = health.broker;
  const orders =
    health.effectiveOrderMode === 'TRANSMIT'
      ? chip('Orders', health.tradingMode === 'live' ? 'LIVE — transmitted' : 'enabled (paper)', health.tradingMode === 'live' ? 'bad' : 'ok', 'st-orders')
      : health.effectiveOrderMode === 'SIMULATE'
        ? chip('Orders', 'SIMULATED', 'warn', 'st-orders')
        : chip('Orders', 'BLOCKED', 'bad', 'st-orders');
  replace(
    list,
    chip('Broker', b.kind, 'plain', 'st-broker'),
    chip('Mode', health.tradingMode, health.tradingMode === 'live' ? 'bad' : 'plain', 'st-mode'),
    orders,
    chip('Connection', b.state, b.state === 'connected' ? 'ok' : b.state === 'degraded' || b.state === 'reconciling' || b.state === 'connecting' ? 'warn' : 'bad', 'st-connection'),
    chip('Data', b.marketDataType, b.marketDataType === 'REALTIME' || b.marketDataType === 'SIMULATED' ? 'plain' : 'warn', 'st-data'),
    chip('Kill switch', health.killSwitch.engaged ? 'ENGAGED' : 'released', health.killSwitch.engaged ? 'bad' : 'ok', 'st-kill'),
  );
  if (health.killSwitch.engaged && health.killSwitch.reason) byId('st-kill').title = `Reason: ${health.killSwitch.reason}`;
  const button = byId<HTMLButtonElement>('kill-button');
  button.textContent = health.killSwitch.engaged ? 'Release kill switch…' : 'Engage kill switch…';
  button.classList.toggle('danger', !health.killSwitch.engaged);
}

export async function refreshStatus(): Promise<void> {
  try {
    // /health answers 503 with the same body when the broker is down: that is a state to show, not an error.
    const key = storedKey();
    const headers: Record<string, string> = { accept: 'application/json' };
    if (key !== null) headers['x-api-key'] = key;
    const response = await fetch('/health', { cache: 'no-store', headers });
    const body = (await response.json()) as Health | HealthStatus;
    if (!('broker' in body)) {
      // Signed out (or the key was refused): the status is all there is to show.
      last = null;
      render(null, null, { status: 'status' in body ? body.status : 'down' });
      return;
    }
    last = body;
    render(body, null);
    for (const listener of listeners) listener(body);
  } catch {
    last = null;
    render(null, 'unreachable');
  }
}

let timer: number | undefined;
export function startStatusPolling(): void {
  void refreshStatus();
  window.clearInterval(timer);
  timer = window.setInterval(() => void refreshStatus(), 3000);
}

/** Wires the kill switch button and its confirmation dialog (admin only; disabled for other keys). */
export function setupKillSwitch(): void {
  const button = byId<HTMLButtonElement>('kill-button');
  const dialog = byId<HTMLDialogElement>('kill-dialog');
  const reason = byId<HTMLInputElement>('kill-reason');
  button.addEventListener('click', () => {
    if (!can('admin')) return;
    const engaged = last?.killSwitch.engaged ?? false;
    byId('kill-title').textContent = engaged ? 'Release the kill switch?' : 'Engage the kill switch?';
    byId('kill-text').textContent = engaged
      ? 'Orders will be accepted again (subject to the other gates and risk limits).'
      : 'New orders will be refused and working orders cancelled until it is released.';
    byId('kill-confirm').textContent = engaged ? 'Release' : 'Engage';
    byId('kill-confirm').classList.toggle('danger', !engaged);
    reason.value = '';
    dialog.returnValue = '';
    dialog.showModal();
    reason.focus();
  });
  dialog.addEventListener('close', () => {
    if (dialog.returnValue !== 'confirm') return;
    const engage = !(last?.killSwitch.engaged ?? false);
    const why = reason.value.trim();
    say(byId('kill-message'), '');
    void api<KillSwitchState>('/api/admin/kill-switch', { method: 'POST', body: { engaged: engage, reason: why === '' ? `${engage ? 'engaged' : 'released'} from the dashboard` : why } })
      .then(() => refreshStatus())
      .catch((err: unknown) => {
        const message = err instanceof ApiError ? `${err.code}: ${err.message}` : String(err);
        say(byId('kill-message'), `Kill switch not changed: ${message}`, 'error');
      })
      .finally(() => button.focus());
  });
}
