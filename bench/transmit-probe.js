// Preloaded into bench/transmit.js's gateway (`node --import bench/transmit-probe.js`): records, on the
// same wall clock as the order stamps (performance.timeOrigin + performance.now()), each order request's
// arrival (the HTTP server's 'request' event, by its x-bench-id header), every fdatasync the
// process asks the thread pool for (when it was asked, when its callback ran: the audit WAL's durable
// syncs, wal-sync.ts) and every GC pause (start, duration, kind), and writes them as JSON to
// TRANSMIT_PROBE_OUT when the process exits. bench/transmit.js lines them up with each order's
// request -> transmit window, so every run says how much of that window was the disk's sync and how
// much a GC pause. It changes nothing the gateway does: the wrapped fdatasync calls the original.
import fs from 'node:fs';
import http from 'node:http';
import { syncBuiltinESMExports } from 'node:module';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { clockOffset, wallMs } from './clock.js';

const out = process.env.TRANSMIT_PROBE_OUT;
if (out) {
  const arrivals = {};
  const syncs = [];
  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function (event, req, ...rest) {
    if (event === 'request') {
      const id = req.headers['x-bench-id'];
      if (typeof id === 'string') arrivals[id] = wallMs();
    }
    return emit.call(this, event, req, ...rest);
  };
  const gcs = [];
  const original = fs.fdatasync;
  fs.fdatasync = (fd, callback) => {
    const asked = wallMs();
    original(fd, (err) => {
      syncs.push([asked, wallMs()]);
      callback(err);
    });
  };
  // The gateway's modules import { fdatasync } from 'node:fs': they see the wrapper from here on.
  syncBuiltinESMExports();
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push([performance.timeOrigin + e.startTime, e.duration, e.detail?.kind ?? 0]);
  }).observe({ entryTypes: ['gc'] });
  // offset: this process's wall minus monotonic time, for the bench to move every stamp onto its own clock (clock.js).
  process.on('exit', () => fs.writeFileSync(out, JSON.stringify({ offset: clockOffset(), arrivals, syncs, gcs })));
}
