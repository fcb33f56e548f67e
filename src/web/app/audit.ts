/** Audit view (admin): filter the append-only log, page through it, and verify its hash chain. */
import { api, ApiError } from './api.js';
import { byId, h, replace, say, val } from './dom.js';
import { auditTable } from './orders.js';
import { can } from './session.js';
import type { AuditPage, AuditVerifyResult } from './types.js';
import { AUDIT_EVENT_TYPES } from './types.js';

let nextAfterId: number | null = null;

const errorText = (err: unknown): string => (err instanceof ApiError ? `${err.code}: ${err.message}` : String(err));

/** datetime-local has no zone: read it as the browser's local time and send UTC, as the API wants. */
const toUtc = (local: string): string | null => {
  if (local === '') return null;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
};

function query(afterId: number | null): string {
  const form = byId<HTMLFormElement>('audit-filter');
  const params = new URLSearchParams({ limit: val(form, 'limit') || '100' });
  const eventType = val(form, 'eventType');
  if (eventType !== '') params.set('eventType', eventType);
  const symbol = val(form, 'symbol').toUpperCase();
  if (symbol !== '') params.set('symbol', symbol);
  const orderId = val(form, 'orderId');
  if (orderId !== '') params.set('orderId', orderId);
  const from = toUtc(val(form, 'from'));
  if (from !== null) params.set('from', from);
  const to = toUtc(val(form, 'to'));
  if (to !== null) params.set('to', to);
  if (afterId !== null) params.set('afterId', String(afterId));
  return params.toString();
}

export async function loadAudit(afterId: number | null = null): Promise<void> {
  const message = byId('audit-message');
  byId('audit-scope').hidden = can('admin');
  if (!can('admin')) {
    replace(byId('audit-list'));
    return;
  }
  try {
    const page = await api<AuditPage>(`/api/audit?${query(afterId)}`);
    nextAfterId = page.nextAfterId;
    replace(byId('audit-list'), auditTable('Audit log', page.entries));
    byId('audit-more').hidden = nextAfterId === null;
    say(message, `${page.entries.length} entr${page.entries.length === 1 ? 'y' : 'ies'}${afterId !== null ? ` after #${afterId}` : ''}`);
  } catch (err) {
    say(message, errorText(err), 'error');
  }
}

export async function verifyAudit(): Promise<void> {
  const target = byId('verify-result');
  if (!can('admin')) return;
  replace(target, 'Verifying…');
  try {
    const r = await api<AuditVerifyResult>('/api/audit/verify');
    replace(
      target,
      r.ok
        ? h('span', { class: 'chip ok' }, `Chain intact: ${r.checkedRows} rows verified`)
        : h('span', { class: 'chip bad' }, `BROKEN at row ${r.firstBadId ?? '?'}: ${r.reason ?? 'unknown reason'} (${r.checkedRows} rows checked)`),
    );
  } catch (err) {
    replace(target, h('span', { class: 'chip bad' }, errorText(err)));
  }
}

export function setupAudit(): void {
  const form = byId<HTMLFormElement>('audit-filter');
  const select = form.elements.namedItem('eventType') as HTMLSelectElement;
  for (const type of AUDIT_EVENT_TYPES) select.append(h('option', {}, type));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void loadAudit();
  });
  byId('audit-more').addEventListener('click', () => void loadAudit(nextAfterId));
  byId('verify-button').addEventListener('click', () => void verifyAudit());
}
