// A stand-in for zebra in its own process: builds a synthetic FPM stream (IPv4 and IPv6 routes
// naming nexthop groups, as dplane_fpm_nl sends them) and, on command, connects and writes it
// all, as zebra's replay does on every connect. Commands over IPC: {send: port}, 'close',
// 'notified' (answers {notified: N}: the route notification frames fibmgr sent back so far).
import net from 'node:net';
import { netlinkNhg } from '../../src/warm-up/stream.js';

const v4 = Number(process.argv[2] ?? 1_000_000);
const v6 = Number(process.argv[3] ?? 200_000);
const stream = Buffer.concat([netlinkNhg(v4, 4), netlinkNhg(v6, 6, { idBase: 10_000 })]);
let sock: net.Socket | null = null;
/** Frames read back (route notifications), counted across chunk boundaries by their headers. */
let notified = 0;
let need = 0; // bytes of the current frame still to skip
let head: number[] = [];
function countFrames(c: Buffer): void {
  for (let p = 0; p < c.length; ) {
    if (need > 0) {
      const n = Math.min(need, c.length - p);
      need -= n;
      p += n;
      continue;
    }
    head.push(c[p++]!);
    if (head.length === 4) {
      need = ((head[2]! << 8) | head[3]!) - 4;
      head = [];
      notified++;
    }
  }
}

process.on('message', (m: any) => {
  if (m && typeof m === 'object' && 'send' in m) {
    sock?.destroy();
    const s = net.connect({ host: '127.0.0.1', port: Number(m.send) }, () => {
      s.write(stream, () => process.send?.({ sent: stream.length }));
    });
    s.on('error', (e) => process.send?.({ error: e.message }));
    need = 0;
    head = [];
    s.on('data', countFrames);
    sock = s;
  }
  if (m === 'close') {
    sock?.end();
    sock = null;
    process.send?.('closed');
  }
  if (m === 'notified') process.send?.({ notified });
  if (m === 'exit') process.exit(0);
});
process.send?.({ ready: stream.length });
