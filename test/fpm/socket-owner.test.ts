// Which process holds a socket (socket-owner.ts): the FPM server names zebra's process for each
// session with it, so that a restarted zebra is told from a reconnecting one (stale-rule.ts).
// Real sockets held by real child processes, found through this host's /proc.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { socketOwner, statStartTime } from '../../src/fpm/socket-owner.js';
import { PeerCheck } from '../../src/fpm/peer-check.js';
import { FpmServer } from '../../src/fpm/server.js';
import { FpmSessionDecoder } from '../../src/fpm/session-decoder.js';
import { createLogger } from '../../src/log.js';
import type { RouteSink } from '../../src/route/sink.js';

const children: ChildProcess[] = [];
after(() => { for (const c of children) c.kill('SIGKILL'); });

/** A child process that connects to `port` and holds the connection until killed. */
async function holder(port: number): Promise<ChildProcess> {
  const c = spawn(process.execPath, ['-e', `require('node:net').connect(${port}, '127.0.0.1').on('connect', () => process.stdout.write('up\\n'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(c);
  await once(c.stdout!, 'data');
  return c;
}

test('statStartTime reads field 22 after the command, whatever the command holds', () => {
  const rest = Array.from({ length: 50 }, (_, i) => String(i + 3)); // fields 3.. as their numbers
  assert.equal(statStartTime(`4242 (zebra) ${rest.join(' ')}`), '22');
  assert.equal(statStartTime(`4242 (a) b) (c) ${rest.join(' ')}`), '22');
  assert.equal(statStartTime('4242 (zebra) S 1'), null);
  assert.equal(statStartTime('garbage'), null);
});

test('the process holding a connection\'s other end is found by its socket\'s inode; a new process is another name; no holder is null', async () => {
  const srv = createServer();
  const accepted: Socket[] = [];
  srv.on('connection', (s) => accepted.push(s));
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  const check = new PeerCheck({ allow: ['127.0.0.0/8'], users: [] });
  const ownerOf = async (s: Socket) => {
    const row = await check.socketRow(s.remoteAddress!, s.remotePort!, s.localAddress!, s.localPort!);
    assert.ok(row && row.inode > 0, 'the connecting end has a live row');
    return socketOwner(row.inode);
  };
  const a = await holder(port);
  if (accepted.length < 1) await once(srv, 'connection');
  const nameA = await ownerOf(accepted[0]!);
  assert.equal(nameA, `${a.pid}@${statStartTime(readFileSync(`/proc/${a.pid}/stat`, 'utf8'))}`);
  const b = await holder(port);
  if (accepted.length < 2) await once(srv, 'connection');
  const nameB = await ownerOf(accepted[1]!);
  assert.ok(nameB?.startsWith(`${b.pid}@`));
  assert.notEqual(nameA, nameB);
  assert.equal(await socketOwner(0), null);
  assert.equal(await socketOwner(4_000_000_000), null, 'an inode no process holds');
  for (const s of accepted) s.destroy();
  srv.close();
});

test('the FPM server tells the sink which process each session is from', async () => {
  // each session's start, as the sink is told it (waited for, not polled)
  const waiting: ((zebraProcess: string | null | undefined) => void)[] = [];
  const started: Promise<string | null | undefined>[] = [0, 1].map(() => new Promise((r) => waiting.push(r)));
  const sink: RouteSink = {
    congested: false, onDrain: () => undefined, apply: () => undefined, sessionEnd: () => undefined,
    sessionStart: (_id, zebraProcess) => waiting.shift()?.(zebraProcess),
  };
  const server = new FpmServer({
    host: '127.0.0.1', port: 0, decoder: () => new FpmSessionDecoder(), sink, logger: createLogger('silent'),
    peerCheck: new PeerCheck({ allow: ['127.0.0.0/8'], users: [] }), socketOwner: (inode) => socketOwner(inode),
  });
  const { port } = await server.listen();
  const z = await holder(port);
  const first = await started[0]!;
  assert.ok(first?.startsWith(`${z.pid}@`), `session 1 names ${first}`);
  z.kill('SIGKILL');
  await once(z, 'exit');
  const z2 = await holder(port);
  assert.ok((await started[1]!)?.startsWith(`${z2.pid}@`));
  await server.close();
});
