/** Small DOM and formatting helpers: the dashboard builds its tables from text nodes only, never HTML strings, so API data cannot inject markup. */

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined | null>;

/** document.createElement with attributes (boolean true sets an empty attribute, false/null omits it) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'number' ? String(child) : child);
  }
  return node;
}

/** The element with this id, typed; a missing one is a bug in index.html. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (node === null) throw new Error(`#${id} is missing from the page`);
  return node as T;
}

export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren(...children.filter((c): c is Node | string | number => c !== null && c !== undefined && c !== false).map((c) => (typeof c === 'number' ? String(c) : c)));
}

const money = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
// Prices at the precision a trader reads them: cents above a dollar (177.49, not 177.489091), four places below (a penny stock, an option's bid).
const price = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const smallPrice = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 4 });
const whole = new Intl.NumberFormat(undefined, { maximumFractionDigits: 4 });

export const fmtMoney = (n: number | null | undefined): string => (n === null || n === undefined ? '—' : money.format(n));
export const fmtPrice = (n: number | null | undefined): string => (n === null || n === undefined ? '—' : Math.abs(n) >= 1 ? price.format(n) : smallPrice.format(n));
export const fmtQty = (n: number | null | undefined): string => (n === null || n === undefined ? '—' : whole.format(n));
export const fmtValue = (v: number | string | null): string => (v === null ? '—' : typeof v === 'number' ? whole.format(v) : v);

export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** A signed amount with a class for its colour. */
export function pnl(n: number | null | undefined): HTMLElement {
  const cls = n === null || n === undefined || n === 0 ? '' : n > 0 ? 'pos' : 'neg';
  return h('span', { class: cls }, fmtMoney(n));
}

/** What an order status means to someone watching it: working, done, gone, refused. One class each for its colour. */
export function statusTone(status: string): 'working' | 'filled' | 'partial' | 'inactive' | 'rejected' | 'simulated' {
  switch (status) {
    case 'FILLED':
      return 'filled';
    case 'PARTIALLY_FILLED':
      return 'partial';
    case 'CANCELLED':
    case 'EXPIRED':
    case 'APPROVED':
      return 'inactive';
    case 'REJECTED':
    case 'UNKNOWN':
      return 'rejected';
    case 'SIMULATED':
      return 'simulated';
    default:
      return 'working';
  }
}

export function statusBadge(status: string): HTMLElement {
  return h('span', { class: `order-status status-${statusTone(status)}` }, status);
}

/** An object as readable key/value lines (nested keys joined with dots), not raw JSON. */
export function keyValues(data: unknown, limit = 12): HTMLElement {
  const pairs: Array<[string, string]> = [];
  const walk = (value: unknown, path: string): void => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
      return;
    }
    const text = Array.isArray(value)
      ? value.map((v) => (v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v))).join(', ')
      : typeof value === 'number'
        ? String(value)
        : value === null || value === undefined
          ? '—'
          : String(value);
    pairs.push([path || 'value', text]);
  };
  walk(data, '');
  if (pairs.length === 0) return h('span', { class: 'muted' }, '—');
  const shown = pairs.slice(0, limit);
  return h(
    'dl',
    { class: 'kv', title: JSON.stringify(data) },
    ...shown.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v.length > 120 ? `${v.slice(0, 120)}…` : v)]),
    pairs.length > limit ? h('dd', { class: 'muted more' }, `+${pairs.length - limit} more`) : null,
  );
}

/** A table inside a scrolling wrapper, so wide tables scroll on a phone instead of breaking the layout. */
export function table(caption: string, headers: string[], rows: Child[][], empty = 'Nothing to show'): HTMLElement {
  const body = rows.length === 0 ? [h('tr', {}, h('td', { colspan: headers.length, class: 'empty' }, empty))] : rows.map((cells) => h('tr', {}, ...cells.map((c) => h('td', {}, c))));
  return h(
    'div',
    { class: 'table-wrap' },
    h('table', {}, h('caption', { class: 'sr-only' }, caption), h('thead', {}, h('tr', {}, ...headers.map((t) => h('th', { scope: 'col' }, t)))), h('tbody', {}, ...body)),
  );
}

/** Shows a message in a live region (screen readers announce it); kind error or ok. */
export function say(target: HTMLElement, message: string, kind: 'error' | 'ok' | 'info' = 'info'): void {
  target.className = `message ${kind}`;
  target.textContent = message;
}

/** A form field's trimmed text value. */
export function val(form: HTMLFormElement, name: string): string {
  const field = form.elements.namedItem(name);
  if (field instanceof HTMLInputElement || field instanceof HTMLSelectElement || field instanceof HTMLTextAreaElement) return field.value.trim();
  return '';
}
