/**
 * Market view: a watchlist fed by the SSE quote stream, with a flash on each
 * price move, and a candlestick + volume chart drawn by lightweight-charts.
 * A row says when its numbers cannot be trusted: "stale" when no quote came for
 * STALE_MS or the stream is down, "invalid" when the gateway cannot stream the
 * symbol at all (the others stream on; the user can remove it).
 */
import type { IChartApi, ISeriesApi, UTCTimestamp } from 'lightweight-charts';
import { ApiError, api, streamQuotes } from './api.js';
import { byId, fmtPrice, fmtQty, h, replace, say, val } from './dom.js';
import type { Bar, Quote, SymbolFailure } from './types.js';

/** The standalone build of lightweight-charts (a classic script in index.html) sets this global; typed from the package. */
type Charts = typeof import('lightweight-charts');
const charts = (): Charts | undefined => (globalThis as { LightweightCharts?: Charts }).LightweightCharts;

const WATCH_STORAGE = 'ibkr-gateway.watchlist';
const DEFAULT_WATCHLIST = ['AAPL', 'MSFT', 'SPY'];

let watchlist: string[] = loadWatchlist();
const quotes = new Map<string, Quote>();
/** When each symbol's last quote arrived (browser clock: the quote's own timestamp may come from another clock). */
const received = new Map<string, number>();
/** Symbols the gateway said it cannot stream, with its error. */
const invalid = new Map<string, SymbolFailure['error']>();
let streamLive = false;
/** A quote older than this on a live stream is shown as stale (the simulator ticks every second; real feeds of liquid names too). */
const STALE_MS = 10_000;
let staleTimer: number | undefined;
let stream: AbortController | null = null;
/** Called with a symbol when the user asks to chart or trade it from the watchlist. */
let onTrade: (symbol: string) => void = () => undefined;

function loadWatchlist(): string[] {
  // The watchlist is not secret, so it may outlive the tab (localStorage), unlike the key.
  try {
    const saved: unknown = JSON.parse(localStorage.getItem(WATCH_STORAGE) ?? 'null');
    if (Array.isArray(saved) && saved.every((s) => typeof s === 'string') && saved.length > 0) return saved as string[];
  } catch {
    // A corrupt entry: fall back to the default list.
  }
  return [...DEFAULT_WATCHLIST];
}

function saveWatchlist(): void {
  localStorage.setItem(WATCH_STORAGE, JSON.stringify(watchlist));
}

const rowId = (symbol: string): string => `wl-${symbol.replace(/[^A-Za-z0-9]/g, '_')}`;

function renderWatchlist(): void {
  const rows = watchlist.map((symbol) =>
    h(
      'tr',
      { id: rowId(symbol), 'data-state': 'stale', class: 'stale' },
      h('th', { scope: 'row' }, h('span', { class: 'sym' }, symbol), h('span', { class: 'badge', 'data-field': 'state' }, '')),
      h('td', { class: 'num', 'data-field': 'bid' }, '—'),
      h('td', { class: 'num', 'data-field': 'ask' }, '—'),
      h('td', { class: 'num', 'data-field': 'last' }, '—'),
      h('td', { class: 'num', 'data-field': 'change' }, '—'),
      h('td', { class: 'num', 'data-field': 'volume' }, '—'),
      h(
        'td',
        { class: 'row-actions' },
        h('button', { type: 'button', 'data-act': 'chart', 'aria-label': `Chart ${symbol}` }, 'Chart'),
        h('button', { type: 'button', 'data-act': 'trade', 'aria-label': `Trade ${symbol}` }, 'Trade'),
        h('button', { type: 'button', 'data-act': 'remove', 'aria-label': `Remove ${symbol}` }, '×'),
      ),
    ),
  );
  replace(
    byId('watchlist'),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'watch' },
        h('caption', { class: 'sr-only' }, 'Watchlist, live quotes'),
        h('thead', {}, h('tr', {}, ...['Symbol', 'Bid', 'Ask', 'Last', 'Change', 'Volume', ''].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, ...rows),
      ),
    ),
  );
  for (const symbol of watchlist) {
    const quote = quotes.get(symbol);
    if (quote) paintQuote(quote, null);
    const failure = invalid.get(symbol);
    if (failure) markInvalid(symbol, failure);
  }
  paintStaleness();
}

/** A row's trust state: a class for its colour, a word in the badge, data-state for tests and tooling. */
function setRowState(row: HTMLElement, state: 'live' | 'stale' | 'invalid', title: string): void {
  if (row.dataset.state === state && row.title === title) return;
  row.dataset.state = state;
  row.classList.remove('live', 'stale', 'invalid');
  row.classList.add(state);
  row.title = title;
  const badge = row.querySelector<HTMLElement>('[data-field="state"]');
  if (badge) badge.textContent = state === 'live' ? '' : state;
}

function markInvalid(symbol: string, error: SymbolFailure['error']): void {
  const row = document.getElementById(rowId(symbol));
  if (!row) return;
  setRowState(row, 'invalid', `${error.code}: ${error.message}`);
  const badge = row.querySelector<HTMLElement>('[data-field="state"]');
  if (badge) badge.textContent = error.code === 'CONTRACT_NOT_FOUND' ? 'unknown' : 'invalid';
  for (const field of ['bid', 'ask', 'last', 'change', 'volume']) {
    const cell = row.querySelector<HTMLElement>(`[data-field="${field}"]`);
    if (cell) cell.textContent = '—';
  }
}

/** Marks every streamable row live or stale, from the stream's state and the age of its last quote. */
function paintStaleness(): void {
  const now = Date.now();
  for (const symbol of watchlist) {
    if (invalid.has(symbol)) continue;
    const row = document.getElementById(rowId(symbol));
    if (!row) continue;
    const at = received.get(symbol);
    if (!streamLive) setRowState(row, 'stale', 'The quote stream is down: these numbers are not updating');
    else if (at === undefined) setRowState(row, 'stale', 'No quote yet');
    else if (now - at > STALE_MS) setRowState(row, 'stale', `No update for ${Math.round((now - at) / 1000)} s`);
    else setRowState(row, 'live', '');
  }
}

function describeInvalid(): void {
  const bad = watchlist.filter((s) => invalid.has(s));
  if (bad.length === 0) return;
  const parts = bad.map((s) => `${s} (${invalid.get(s)?.code ?? 'error'})`);
  say(byId('watch-message'), `Not streamed: ${parts.join(', ')}. The other symbols stream on; remove ${bad.length === 1 ? 'it' : 'them'} with ×.`, 'error');
}

function setCell(row: HTMLElement, field: string, text: string, direction: 'up' | 'down' | null): void {
  const cell = row.querySelector<HTMLElement>(`[data-field="${field}"]`);
  if (!cell) return;
  cell.textContent = text;
  if (direction === null) return;
  // Remove, force a reflow, re-add: restarts the flash animation even on consecutive moves the same way.
  cell.classList.remove('flash-up', 'flash-down');
  void cell.offsetWidth;
  cell.classList.add(direction === 'up' ? 'flash-up' : 'flash-down');
}

const move = (now: number | null, before: number | null | undefined): 'up' | 'down' | null =>
  now === null || before === null || before === undefined || now === before ? null : now > before ? 'up' : 'down';

function paintQuote(quote: Quote, previous: Quote | null): void {
  const row = document.getElementById(rowId(quote.symbol));
  if (!row) return;
  setCell(row, 'bid', fmtPrice(quote.bid), move(quote.bid, previous?.bid));
  setCell(row, 'ask', fmtPrice(quote.ask), move(quote.ask, previous?.ask));
  setCell(row, 'last', fmtPrice(quote.last), move(quote.last, previous?.last));
  const change = quote.last !== null && quote.close !== null && quote.close !== 0 ? ((quote.last - quote.close) / quote.close) * 100 : null;
  const changeCell = row.querySelector<HTMLElement>('[data-field="change"]');
  if (changeCell) {
    changeCell.textContent = change === null ? '—' : `${change >= 0 ? '+' : ''}${change.toFixed(2)}%`;
    changeCell.className = `num ${change === null || change === 0 ? '' : change > 0 ? 'pos' : 'neg'}`;
  }
  setCell(row, 'volume', fmtQty(quote.volume), null);
  row.dataset.updated = quote.timestamp;
  received.set(quote.symbol, Date.now());
  if (streamLive) setRowState(row, 'live', '');
}

function setStreamState(state: 'live' | 'reconnecting' | 'error' | 'off', message?: string): void {
  const pill = byId('stream-state');
  pill.textContent = state;
  pill.className = `pill ${state}`;
  streamLive = state === 'live';
  if (state === 'error' && message) say(byId('watch-message'), message, 'error');
  paintStaleness();
}

/** (Re)opens the stream for the current watchlist; one stream for all symbols. */
function startStream(): void {
  stopStream();
  if (watchlist.length === 0) return setStreamState('off');
  stream = new AbortController();
  setStreamState('reconnecting');
  window.clearInterval(staleTimer);
  staleTimer = window.setInterval(paintStaleness, 1000);
  // Symbols already known to be bad are not asked for again; the rows stay marked until removed.
  const wanted = watchlist.filter((s) => !invalid.has(s));
  if (wanted.length === 0) return setStreamState('off');
  streamQuotes(
    wanted,
    {
      quote: (quote) => {
        const previous = quotes.get(quote.symbol) ?? null;
        quotes.set(quote.symbol, quote);
        paintQuote(quote, previous);
      },
      symbolError: (failure) => {
        invalid.set(failure.symbol, failure.error);
        markInvalid(failure.symbol, failure.error);
        describeInvalid();
      },
      state: setStreamState,
    },
    stream.signal,
  );
}

export function stopStream(): void {
  stream?.abort();
  stream = null;
  window.clearInterval(staleTimer);
  setStreamState('off');
}

// ---------------------------------------------------------------------------
// Chart
// ---------------------------------------------------------------------------

let chart: IChartApi | null = null;
let candles: ISeriesApi<'Candlestick'> | null = null;
let volume: ISeriesApi<'Histogram'> | null = null;

function ensureChart(): boolean {
  if (chart) return true;
  const lib = charts();
  if (!lib) return false;
  const container = byId('chart');
  chart = lib.createChart(container, {
    autoSize: true,
    layout: { background: { type: lib.ColorType.Solid, color: 'transparent' }, textColor: '#c9d1d9', attributionLogo: false },
    grid: { vertLines: { color: 'rgba(139,148,158,0.15)' }, horzLines: { color: 'rgba(139,148,158,0.15)' } },
    timeScale: { timeVisible: true, secondsVisible: false },
    rightPriceScale: { scaleMargins: { top: 0.08, bottom: 0.08 } },
  });
  candles = chart.addSeries(lib.CandlestickSeries, { upColor: '#3fb950', downColor: '#f85149', borderVisible: false, wickUpColor: '#3fb950', wickDownColor: '#f85149' });
  // Volume in its own pane below the candles, with its own axis (shares counted in M/K), so it never sits on the price scale.
  volume = chart.addSeries(lib.HistogramSeries, { priceFormat: { type: 'volume' }, color: 'rgba(88,166,255,0.5)', lastValueVisible: false, priceLineVisible: false }, 1);
  chart.priceScale('right', 1).applyOptions({ scaleMargins: { top: 0.1, bottom: 0 } });
  // Price gets about three quarters of the height.
  chart.panes()[0]?.setStretchFactor(3);
  chart.panes()[1]?.setStretchFactor(1);
  return true;
}

export async function loadChart(form: HTMLFormElement): Promise<void> {
  const message = byId('chart-message');
  const symbol = val(form, 'symbol').toUpperCase();
  const params = new URLSearchParams({ symbol, securityType: val(form, 'securityType'), barSize: val(form, 'barSize'), duration: val(form, 'duration') });
  say(message, `Loading ${symbol}…`);
  try {
    const bars = await api<Bar[]>(`/api/market/historical?${params.toString()}`);
    if (!ensureChart() || !candles || !volume || !chart) return say(message, 'The chart library did not load', 'error');
    // lightweight-charts wants strictly ascending, unique times in seconds.
    const seen = new Set<number>();
    const data = bars
      .map((b) => ({ ...b, t: Math.floor(Date.parse(b.time) / 1000) as UTCTimestamp }))
      .filter((b) => !seen.has(b.t) && seen.add(b.t))
      .sort((a, b) => a.t - b.t);
    candles.setData(data.map((b) => ({ time: b.t, open: b.open, high: b.high, low: b.low, close: b.close })));
    volume.setData(data.map((b) => ({ time: b.t, value: b.volume, color: b.close >= b.open ? 'rgba(63,185,80,0.45)' : 'rgba(248,81,73,0.45)' })));
    // A margin of bars on each side: a month label on the first or last bar would otherwise be cut ("un", "De").
    const margin = Math.max(2, Math.ceil(data.length * 0.04));
    chart.timeScale().setVisibleLogicalRange({ from: -margin, to: data.length - 1 + margin });
    byId('chart').dataset.volumePane = String(volume.getPane().paneIndex());
    byId('chart-title').textContent = `${symbol} · ${params.get('barSize') ?? ''} · ${params.get('duration') ?? ''}`;
    byId('chart').dataset.bars = String(data.length);
    say(message, `${data.length} bars`, 'ok');
  } catch (err) {
    say(message, err instanceof ApiError ? `${err.code}: ${err.message}` : 'Could not load the chart', 'error');
  }
}

/** Adds a symbol the gateway knows; an unknown one is refused here rather than saved (it would survive a reload). */
async function addSymbol(watchForm: HTMLFormElement): Promise<void> {
  const symbol = val(watchForm, 'symbol').toUpperCase();
  if (symbol === '' || watchlist.includes(symbol)) return;
  try {
    await api<Quote>(`/api/market/quote?${new URLSearchParams({ symbol }).toString()}`);
  } catch (err) {
    // Only a definite "no such instrument" refuses it; a network hiccup should not stop the user adding a symbol.
    if (err instanceof ApiError && err.status === 404) return say(byId('watch-message'), `${symbol} not added: ${err.code}: ${err.message}`, 'error');
  }
  watchlist.push(symbol);
  saveWatchlist();
  watchForm.reset();
  say(byId('watch-message'), '');
  renderWatchlist();
  startStream();
}

export function setupMarket(trade: (symbol: string) => void): void {
  onTrade = trade;
  const watchForm = byId<HTMLFormElement>('watch-form');
  watchForm.addEventListener('submit', (event) => {
    event.preventDefault();
    void addSymbol(watchForm);
  });
  byId('watchlist').addEventListener('click', (event) => {
    const button = (event.target as Element).closest<HTMLButtonElement>('button[data-act]');
    const symbol = button?.closest('tr')?.querySelector('th .sym')?.textContent;
    if (!button || !symbol) return;
    if (button.dataset.act === 'remove') {
      watchlist = watchlist.filter((s) => s !== symbol);
      quotes.delete(symbol);
      received.delete(symbol);
      invalid.delete(symbol);
      say(byId('watch-message'), '');
      describeInvalid();
      saveWatchlist();
      renderWatchlist();
      startStream();
    } else if (button.dataset.act === 'chart') {
      const form = byId<HTMLFormElement>('chart-form');
      (form.elements.namedItem('symbol') as HTMLInputElement).value = symbol;
      void loadChart(form);
    } else {
      onTrade(symbol);
    }
  });
  const chartForm = byId<HTMLFormElement>('chart-form');
  chartForm.addEventListener('submit', (event) => {
    event.preventDefault();
    void loadChart(chartForm);
  });
}

export function showMarket(): void {
  renderWatchlist();
  if (stream === null) startStream();
  if (!chart) void loadChart(byId<HTMLFormElement>('chart-form'));
}
