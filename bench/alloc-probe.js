// Preloaded by bench/alloc.js into a gateway (`node --import bench/alloc-probe.js <root>/bench/orders.js --serve`):
// V8's sampling heap profiler, started and stopped over the IPC channel. It counts the objects young and old GC
// collected too (includeObjectsCollectedByMinorGC/MajorGC), so an order's short-lived garbage, what makes the
// scavenges, is in the figure, not only what survives.
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';

const session = new Session();
session.connect();
const post = (method, params = {}) => new Promise((ok, fail) => session.post(method, params, (err, res) => (err ? fail(err) : ok(res))));

process.on('message', (msg) => {
  if (msg?.alloc === 'start') {
    void post('HeapProfiler.enable')
      .then(() => post('HeapProfiler.startSampling', { samplingInterval: Number(process.env.ALLOC_INTERVAL ?? 256), includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true }))
      .then(() => process.send({ alloc: 'started' }));
  } else if (msg?.alloc === 'stop') {
    void post('HeapProfiler.stopSampling').then(({ profile }) => {
      writeFileSync(msg.file, JSON.stringify(profile));
      process.send({ alloc: 'stopped' });
    });
  }
});
