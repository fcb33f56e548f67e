/**
 * Market scanners over the simulator's listed US stocks and ETFs: the
 * parameters document (what can be scanned, as IBKR's XML lists it) and the
 * scans most programs use: most active, top % gainers and losers, hot by
 * volume. A subscription is answered with one ranked list; later refreshes
 * (IBKR re-sends about every 30 s) are not sent.
 */
import type { Contract, Quote } from '../../core/models.js';
import { toWire } from '../messages/contract.js';
import { scannerDataMessage, scannerParametersMessage } from '../messages/reference.js';
import { Err, Req } from '../protocol.js';
import { parseVersionedCancel } from '../requests.js';
import { parseScannerSubscription, type ScannerSubscriptionRequest } from '../requests-market-data.js';
import type { Handler, Session } from '../session.js';

const SCANS: Record<string, string> = {
  MOST_ACTIVE: 'Most Active',
  TOP_PERC_GAIN: 'Top % Gainers',
  TOP_PERC_LOSE: 'Top % Losers',
  HOT_BY_VOLUME: 'Hot Contracts by Volume',
};

/** Location codes and the primary exchanges each covers (null: every US listing). */
interface Location {
  name: string;
  primary: ReadonlySet<string> | null;
}

const LOCATIONS: Record<string, Location> = {
  'STK.US': { name: 'US Stocks', primary: null },
  'STK.US.MAJOR': { name: 'Listed/NASDAQ', primary: null },
  'STK.NASDAQ': { name: 'NASDAQ', primary: new Set(['NASDAQ']) },
  'STK.NYSE': { name: 'NYSE', primary: new Set(['NYSE']) },
  'STK.ARCA': { name: 'NYSE Arca', primary: new Set(['ARCA']) },
};

/** IBKR returns at most 50 rows per scan. */
const MAX_ROWS = 50;
/** Days of volume a hot-by-volume scan compares today against. */
const AVERAGE_DAYS = 10;

const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function scannerParametersXml(): string {
  const locations = Object.entries(LOCATIONS)
    .map(([code, l]) => `<Location><displayName>${xmlEscape(l.name)}</displayName><locationCode>${code}</locationCode><instruments>STK</instruments></Location>`)
    .join('');
  const scans = Object.entries(SCANS)
    .map(([code, name]) => `<ScanType><displayName>${xmlEscape(name)}</displayName><scanCode>${code}</scanCode><instruments>STK</instruments></ScanType>`)
    .join('');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<ScanParameterResponse>',
    '<InstrumentList varName="instrumentList"><Instrument><name>US Stocks</name><type>STK</type><filters>PRICE,VOLUME</filters></Instrument></InstrumentList>',
    `<LocationTree varName="locationTree"><Location><displayName>US Stocks</displayName><locationCode>STK.US</locationCode><instruments>STK</instruments><LocationTree>${locations}</LocationTree></Location></LocationTree>`,
    `<ScanTypeList varName="scanTypeList">${scans}</ScanTypeList>`,
    '<FilterList varName="filterList">',
    '<RangeFilter><id>PRICE</id><category>Price</category><AbstractField><code>abovePrice</code></AbstractField><AbstractField><code>belowPrice</code></AbstractField></RangeFilter>',
    '<SimpleFilter><id>VOLUME</id><category>Volume</category><AbstractField><code>aboveVolume</code></AbstractField></SimpleFilter>',
    '</FilterList>',
    '</ScanParameterResponse>',
  ].join('');
}

const scannerParameters: Handler = (s) => {
  s.send(scannerParametersMessage(scannerParametersXml()));
};

interface Scored {
  contract: Contract;
  score: number;
}

async function averageVolume(s: Session, c: Contract): Promise<number | null> {
  const days = await s.shared.broker
    .getHistoricalBars(c, { barSize: '1 day', duration: `${AVERAGE_DAYS} D` as never, whatToShow: 'TRADES', useRth: true, endTime: new Date(s.shared.clock.now()).toISOString() })
    .catch(() => []);
  const past = days.slice(0, -1);
  return past.length === 0 ? null : past.reduce((sum, b) => sum + b.volume, 0) / past.length;
}

async function score(s: Session, scan: string, c: Contract, q: Quote): Promise<number | null> {
  const last = q.last ?? (q.bid !== null && q.ask !== null ? (q.bid + q.ask) / 2 : null);
  switch (scan) {
    case 'MOST_ACTIVE':
      return q.volume;
    case 'TOP_PERC_GAIN':
    case 'TOP_PERC_LOSE': {
      if (last === null || q.close === null || q.close === 0) return null;
      const change = (last - q.close) / q.close;
      return scan === 'TOP_PERC_GAIN' ? change : -change;
    }
    case 'HOT_BY_VOLUME': {
      const avg = q.volume === null ? null : await averageVolume(s, c);
      return avg === null || avg === 0 || q.volume === null ? null : q.volume / avg;
    }
    default:
      return null;
  }
}

function passes(q: Quote, req: ScannerSubscriptionRequest): boolean {
  const price = q.last ?? q.close;
  if (req.abovePrice !== null && (price === null || price <= req.abovePrice)) return false;
  if (req.belowPrice !== null && (price === null || price >= req.belowPrice)) return false;
  if (req.aboveVolume !== null && (q.volume === null || q.volume <= req.aboveVolume)) return false;
  return true;
}

/** One pass of a scan over the universe, sent as one answer (nothing when the subscription was cancelled meanwhile). */
async function scan(s: Session, req: ScannerSubscriptionRequest, location: Location): Promise<void> {
  const candidates = s.shared.universe.filter(
    (c) => (c.securityType === 'STK' || c.securityType === 'ETF') && c.currency === 'USD' && (location.primary === null || location.primary.has(c.primaryExchange ?? '')),
  );
  const scored: Scored[] = [];
  for (const c of candidates) {
    const q = await s.shared.broker.getQuote(c).catch(() => null);
    if (!q || !passes(q, req)) continue;
    const v = await score(s, req.scanCode, c, q);
    if (v !== null) scored.push({ contract: c, score: v });
  }
  // A cancel that arrived while the scan ran wins.
  if (!s.scanners.has(req.reqId)) return;
  const rows = Math.min(MAX_ROWS, req.numberOfRows !== null && req.numberOfRows > 0 ? req.numberOfRows : MAX_ROWS);
  const ranked = scored.sort((a, b) => b.score - a.score || a.contract.symbol.localeCompare(b.contract.symbol)).slice(0, rows);
  for (const x of ranked) s.shared.contracts.remember(x.contract);
  s.send(scannerDataMessage(req.reqId, ranked.map((x, rank) => ({ rank, contract: toWire(x.contract) }))));
}

const scanKey = (reqId: number): string => `scan:${reqId}`;

/**
 * A scanner subscription answers at once and then again every
 * scannerRefreshMs with the ranking as it stands (each answer a whole list
 * ending in scannerDataEnd, as IB sends it), until cancelled or the client
 * goes. A refresh is skipped while the previous one still runs.
 */
const scannerSubscription: Handler = async (s, r) => {
  const req = parseScannerSubscription(r);
  const location = LOCATIONS[req.locationCode];
  const refuse = (what: string): void => s.error(req.reqId, Err.VALIDATION.code, `${Err.VALIDATION.text}'bd' : cause - ${what}`);
  if (req.instrument !== 'STK') return refuse(`Instrument ${req.instrument || '(none)'} is not scanned by the simulated gateway (STK only; see reqScannerParameters)`);
  if (!location) return refuse(`Location code ${req.locationCode || '(none)'} is not known (see reqScannerParameters)`);
  if (!SCANS[req.scanCode]) return refuse(`Scan code ${req.scanCode || '(none)'} is not known (see reqScannerParameters)`);
  s.scanners.add(req.reqId);
  await scan(s, req, location);
  if (!s.scanners.has(req.reqId)) return;
  let running = false;
  const timer = setInterval(() => {
    if (running || !s.scanners.has(req.reqId)) return;
    running = true;
    void scan(s, req, location).finally(() => {
      running = false;
    });
  }, s.shared.scannerRefreshMs);
  timer.unref();
  // Kept with the session's streams, so a disconnect stops it too.
  s.streams.set(scanKey(req.reqId), () => {
    clearInterval(timer);
    s.scanners.delete(req.reqId);
  });
};

const cancelScanner: Handler = (s, r) => {
  const reqId = parseVersionedCancel(r);
  s.scanners.delete(reqId);
  s.streams.get(scanKey(reqId))?.();
  s.streams.delete(scanKey(reqId));
};

export const scannerHandlers: [number, Handler][] = [
  [Req.SCANNER_PARAMETERS, scannerParameters],
  [Req.SCANNER_SUBSCRIPTION, scannerSubscription],
  [Req.CANCEL_SCANNER_SUBSCRIPTION, cancelScanner],
];
