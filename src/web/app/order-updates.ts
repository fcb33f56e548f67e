/**
 * Wires the order feed to the views that show orders (open orders, recent
 * orders, an open modification, the approvals waiting) and says on each of them whether what they
 * show is live: a pill per list, and the list itself marked stale while the
 * stream is down, with when it last heard from the gateway.
 */
import { approvalsFollow } from './approvals.js';
import { byId } from './dom.js';
import { modifyFollows } from './modify.js';
import { OrderFeed, type FeedState } from './order-feed.js';
import { applyToOpenOrders } from './open-orders.js';
import { applyToRecentOrders } from './orders.js';

const LISTS = ['open-orders', 'orders-list', 'approvals-list'];
const LABEL: Record<FeedState, string> = { connecting: 'connecting', live: 'live', stale: 'stale', error: 'not live' };

let feed: OrderFeed | null = null;
let lastHeard: Date | null = null;

function showState(state: FeedState, detail: string | null): void {
  if (state === 'live') lastHeard = new Date();
  const since = lastHeard === null ? '' : ` Last update ${lastHeard.toLocaleTimeString()}.`;
  const title =
    state === 'live'
      ? 'Order updates arrive as they happen (order event stream)'
      : state === 'stale'
        ? `The order stream is down, so this list may be out of date; reconnecting, and nothing is lost meanwhile.${since}${detail ? ` (${detail})` : ''}`
        : state === 'error'
          ? `Order updates are not available: ${detail ?? 'refused'}. The list is as loaded.`
          : 'Connecting to the order event stream';
  for (const pill of Array.from(document.querySelectorAll<HTMLElement>('[data-feed-state]'))) {
    pill.textContent = LABEL[state];
    pill.className = `pill ${state === 'live' ? 'live' : state === 'connecting' ? '' : state === 'stale' ? 'reconnecting' : 'error'}`;
    pill.dataset.feedState = state;
    pill.title = title;
  }
  // Said in words too: a title is out of reach on a touch screen.
  const note = state === 'stale' ? `Not live: the order stream is down, so this list may be out of date. Reconnecting; nothing is lost meanwhile.${since}` : state === 'error' ? `Not live: ${detail ?? 'order updates are refused'}.` : '';
  for (const p of Array.from(document.querySelectorAll<HTMLElement>('[data-feed-note]'))) {
    p.textContent = note;
    p.hidden = note === '';
  }
  for (const id of LISTS) byId(id).classList.toggle('stale', state === 'stale' || state === 'error');
}

/** The sequence of the last event applied, on the pills (for a reader of the DOM: which events the lists include). */
function showSequence(sequence: number): void {
  for (const pill of Array.from(document.querySelectorAll<HTMLElement>('[data-feed-state]'))) pill.dataset.sequence = String(sequence);
}

/** Starts the feed for the signed-in key; resolves once it knows where to start, so the lists load after that point. */
export async function startOrderUpdates(): Promise<void> {
  stopOrderUpdates();
  lastHeard = null;
  const next = new OrderFeed({
    event: (event) => {
      lastHeard = new Date();
      applyToOpenOrders(event.order);
      applyToRecentOrders(event.order);
      modifyFollows(event.order);
      approvalsFollow(event.order);
      showSequence(event.sequence);
    },
    state: showState,
  });
  feed = next;
  await next.start();
  showSequence(next.resumeFrom);
}

export function stopOrderUpdates(): void {
  feed?.close();
  feed = null;
}
