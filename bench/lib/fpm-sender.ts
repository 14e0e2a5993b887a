// A stand-in for zebra in its own process: builds a synthetic FPM stream (IPv4 and IPv6 routes
// naming nexthop groups, as dplane_fpm_nl sends them) and, on command, connects and writes it
// all, as zebra's replay does on every connect. Commands over IPC: {send: port}, 'close'.
import net from 'node:net';
import { netlinkNhg } from './fpm-stream.js';

const v4 = Number(process.argv[2] ?? 1_000_000);
const v6 = Number(process.argv[3] ?? 200_000);
const stream = Buffer.concat([netlinkNhg(v4, 4), netlinkNhg(v6, 6, { idBase: 10_000 })]);
let sock: net.Socket | null = null;

process.on('message', (m: any) => {
  if (m && typeof m === 'object' && 'send' in m) {
    sock?.destroy();
    const s = net.connect({ host: '127.0.0.1', port: Number(m.send) }, () => {
      s.write(stream, () => process.send?.({ sent: stream.length }));
    });
    s.on('error', (e) => process.send?.({ error: e.message }));
    s.resume();
    sock = s;
  }
  if (m === 'close') {
    sock?.end();
    sock = null;
    process.send?.('closed');
  }
  if (m === 'exit') process.exit(0);
});
process.send?.({ ready: stream.length });
