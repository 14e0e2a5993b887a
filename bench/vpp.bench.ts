// ip_route_add_del through the client into the simulator (in a child process, so that the CPU
// split is visible): 1,000,000 IPv4 /32 routes pipelined, and fewer one at a time.
// Run: npm run bench:vpp   (VPP_BENCH_N, VPP_BENCH_SERIAL_N to change the counts). It runs with
// node's default flags, as a program using the client library would (fibmgr's own flags are
// for its whole pipeline: bench:sync).
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VppClient } from 'vpp-binapi-ts';
import { messages, ip_route_add_del as add } from 'vpp-binapi-ts/gen';
import { SIM_MAIN } from 'vpp-binapi-ts/sim';

const N = Number(process.env.VPP_BENCH_N ?? 1_000_000);
const SERIAL_N = Number(process.env.VPP_BENCH_SERIAL_N ?? 20_000);
const WINDOW = Number(process.env.VPP_BENCH_WINDOW ?? 1024);

function usage(child: ChildProcess): Promise<{ cpu: NodeJS.CpuUsage; rss: number; routes: number }> {
  child.send('usage');
  return once(child, 'message').then(([m]) => m as any);
}

const path = join(tmpdir(), `fibmgr-vpp-bench-${process.pid}.sock`);
// Run from source (tsx) or compiled (npm run bench:vpp): the simulator follows suit.
const child = fork(SIM_MAIN, [path], {
  execArgv: [...(SIM_MAIN.endsWith('.ts') ? ['--import', 'tsx'] : []), ...(process.env.VPP_BENCH_SIM_NODE_ARGS?.split(' ').filter(Boolean) ?? [])],
  stdio: 'inherit',
});
await once(child, 'message');

function prefixFor(i: number): string {
  const a = 0x0a000000 + i;
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}/32`;
}

function routeFor(i: number, isAdd: boolean): any {
  return { is_add: isAdd, is_multipath: false, route: { table_id: 0, prefix: prefixFor(i), paths: isAdd ? [pathTemplate] : [] } };
}
// Fields left out encode as zero (the generated codec's rule).
const pathTemplate = { sw_if_index: 1, weight: 1, type: 0, proto: 0, nh: { address: { ip4: '192.0.2.2' } } };

const codec = 'generated (vpp-binapi-ts/gen)';

interface Row { run: string; n: number; seconds: number; rate: number; clientCpu: string; simCpu: string; simShare: string; rss: string }
const rows: Row[] = [];

async function run(name: string, n: number, window: number, isAdd: boolean, serial: boolean, api: 'promise' | 'cb' | 'ack' | 'token' = 'promise'): Promise<void> {
  const client = new VppClient({ socketPath: path, messages, required: [add], window, timeoutMs: 60_000 });
  await client.connect();
  const sim0 = await usage(child);
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  if (serial) {
    for (let i = 0; i < n; i++) await client.request(add, routeFor(i, isAdd));
  } else {
    await new Promise<void>((resolve, reject) => {
      let sent = 0;
      let done = 0;
      const cap = window * 4;
      const onDone = () => {
        if (++done === n) resolve();
        else if (sent - done < cap / 2) pump();
      };
      const cb = (err: Error | null) => (err ? reject(err) : onDone());
      const tokenCb = (_token: number, err: Error | null) => (err ? reject(err) : onDone());
      // requestAckTo reads the fields during the call only: one object serves every request
      const reused = routeFor(0, isAdd);
      const pump = () => {
        if (api === 'token') {
          while (sent < n && sent - done < cap) {
            reused.route.prefix = prefixFor(sent);
            client.requestAckTo(add, reused, sent++, tokenCb);
          }
        } else if (api === 'ack') while (sent < n && sent - done < cap) client.requestAck(add, routeFor(sent++, isAdd), cb);
        else if (api === 'cb') while (sent < n && sent - done < cap) client.requestCb(add, routeFor(sent++, isAdd), cb);
        else while (sent < n && sent - done < cap) client.request(add, routeFor(sent++, isAdd)).then(onDone, reject);
      };
      pump();
    });
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const sim1 = await usage(child);
  const simCpu = (sim1.cpu.user + sim1.cpu.system - sim0.cpu.user - sim0.cpu.system) / 1e6;
  const clientCpu = (cpu.user + cpu.system) / 1e6;
  rows.push({
    run: name,
    n,
    seconds: Number(secs.toFixed(2)),
    rate: Math.round(n / secs),
    clientCpu: `${clientCpu.toFixed(2)} s`,
    simCpu: `${simCpu.toFixed(2)} s`,
    simShare: `${((100 * simCpu) / (simCpu + clientCpu)).toFixed(0)}%`,
    rss: `${Math.round(process.resourceUsage().maxRSS / 1024)} MB`,
  });
  if (isAdd && sim1.routes < n) throw new Error(`simulator holds ${sim1.routes} routes after ${n} adds`);
  await client.close();
}

await run(`add, pipelined (window ${WINDOW}), request()`, N, WINDOW, true, false);
await run(`delete, pipelined (window ${WINDOW}), request()`, N, WINDOW, false, false);
await run(`add, pipelined (window ${WINDOW}), requestCb()`, N, WINDOW, true, false, 'cb');
await run(`delete, pipelined (window ${WINDOW}), requestCb()`, N, WINDOW, false, false, 'cb');
await run(`add, pipelined (window ${WINDOW}), requestAck()`, N, WINDOW, true, false, 'ack');
await run(`delete, pipelined (window ${WINDOW}), requestAck()`, N, WINDOW, false, false, 'ack');
await run(`add, pipelined (window ${WINDOW}), requestAckTo()`, N, WINDOW, true, false, 'token');
await run(`delete, pipelined (window ${WINDOW}), requestAckTo()`, N, WINDOW, false, false, 'token');
await run('add, one at a time', SERIAL_N, 1, true, true);
child.send('stop');

console.log(`codec: ${codec}; simulator in a child process; client peak RSS is the process's maxRSS so far`);
console.log('| run | routes | seconds | requests/s | client CPU | sim CPU | sim share of CPU | client peak RSS |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.run} | ${r.n} | ${r.seconds} | ${r.rate} | ${r.clientCpu} | ${r.simCpu} | ${r.simShare} | ${r.rss} |`);
