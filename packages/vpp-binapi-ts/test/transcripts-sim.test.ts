// Replays every recorded client request of test/fixtures/transcripts against the simulator, in
// the recorded order and with the simulator's state carried from scenario to scenario as VPP's
// was, and compares each simulator reply with the recorded one, payload byte for byte.
//
// Bytes not compared, and why (each is session- or allocation-specific):
//  - header bytes 0-7 (VPP's ring pointer) and 12-15: README says to ignore them;
//  - client_index and sockclnt_create_reply.index: opaque, assigned per session;
//  - stats_index in route replies, details and lookups: VPP's counter allocation order;
//  - sw_interface_details link/mtu/type fields beyond sw_if_index, flags, mac and names.
// Frames the simulator deliberately answers differently, each asserted on its own:
//  - ip_route details of entries VPP makes itself (special, default-route, interface routes):
//    the simulator has no such entries, so they are skipped and counted; the details of one
//    dump are compared as a set (VPP's order is its hash-table walk);
//  - hazard-udpencap: VPP crashed with no reply; the simulator refuses with INVALID_VALUE.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VppSim, recordedMessageTable } from '../src/sim/index.js';
import { FrameReader, frame } from '../src/transport/frame.js';

const dir = new URL('./fixtures/transcripts/', import.meta.url);
interface Frame { dir: string; msg: string; msg_id: number; hex: string; fields?: any; len: number }
interface Transcript { scenario: string; frames: Frame[] }
const load = (name: string) => JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8')) as Transcript;

const payload = (f: Frame) => Buffer.from(f.hex, 'hex').subarray(16);
const name = (f: Frame) => f.msg.replace(/_[0-9a-f]{8}$/, '');

/** Byte ranges (start, end) of a reply payload that are not compared. */
function masks(msg: string, p: Buffer): [number, number][] {
  switch (msg) {
    case 'sockclnt_create_reply': return [[14, 18]];
    case 'control_ping_reply': return [[10, 14]];
    case 'sw_interface_event': return [[2, 6]];
    case 'ip_route_add_del_reply':
    case 'ip_route_add_del_v2_reply': return [[10, 14]];
    case 'ip_route_details':
    case 'ip_route_v2_details': return [[10, 14]];
    case 'ip_route_lookup_reply':
    case 'ip_route_lookup_v2_reply': return [[14, 18]];
    // Compared: sw_if_index 6-9, l2_address 14-19, flags 20-23, interface_name 103-166.
    case 'sw_interface_details': return [[10, 14], [24, 103], [167, p.length]];
    default: return [];
  }
}

function masked(msg: string, p: Buffer): string {
  const b = Buffer.from(p);
  for (const [s, e] of masks(msg, b)) b.fill(0xee, s, Math.min(e, b.length));
  return b.toString('hex');
}

const routePrefix = (p: Buffer) => `${p[14]}:${p.subarray(15, 31).toString('hex')}/${p[31]}`;

/** control_ping and its reply in the recorded table: the barrier after a transcript without a goodbye. */
const TABLE = recordedMessageTable();
const PING = TABLE.get('control_ping_51077d14')!;
const PING_REPLY = TABLE.get('control_ping_reply_f6b0b8ca')!;
const BARRIER_CONTEXT = 0x0ba771e5;

/** Runs one transcript's requests through a fresh connection; returns the simulator's replies. */
async function replay(path: string, t: Transcript): Promise<Buffer[]> {
  const sock = net.createConnection(path);
  await new Promise((r) => sock.once('connect', r));
  const got: Buffer[] = [];
  let barrier = false;
  const reader = new FrameReader((b, s, e) => {
    if (b.readUInt16BE(s) === PING_REPLY && b.readUInt32BE(s + 2) === BARRIER_CONTEXT) barrier = true;
    else got.push(Buffer.from(b.subarray(s, e)));
  });
  sock.on('data', (c: Buffer) => reader.push(c));
  const closed = new Promise((r) => sock.once('close', r));
  const requests = t.frames.filter((f) => f.dir === 'client->vpp');
  sock.write(frame(payload(requests[0]!)));
  while (got.length === 0) await new Promise((r) => setTimeout(r, 2));
  const index = got[0]!.readUInt32BE(14);
  for (const f of requests.slice(1)) {
    const p = Buffer.from(payload(f));
    if (p.length >= 6) p.writeUInt32BE(index, 2);
    if (name(f) === 'sockclnt_delete') p.writeUInt32BE(index, 10);
    sock.write(frame(p));
  }
  const ends = requests.some((f) => name(f) === 'sockclnt_delete');
  if (ends) await closed;
  else {
    // A ping after the requests, answered after every reply to them (the simulator answers in
    // order): all of them read, however slow the machine, extra ones included.
    const ping = Buffer.alloc(10);
    ping.writeUInt16BE(PING, 0);
    ping.writeUInt32BE(index, 2);
    ping.writeUInt32BE(BARRIER_CONTEXT, 6);
    sock.write(frame(ping));
    while (!barrier) await new Promise((r) => setTimeout(r, 2));
    sock.destroy();
  }
  return got;
}

interface Tally { compared: number; bytes: number; skippedVppEntries: number }

function compare(t: Transcript, sim: Buffer[], tally: Tally, known: (p: Buffer) => boolean): void {
  const recorded = t.frames.filter((f) => f.dir === 'vpp->client');
  let i = 0;
  for (let k = 0; k < recorded.length; k++) {
    const r = recorded[k]!;
    const msg = name(r);
    if (msg.endsWith('_details')) {
      // One dump's details: VPP walks its hash tables, so their order is compared as a set.
      const run: Frame[] = [];
      while (k < recorded.length && recorded[k]!.msg_id === r.msg_id) run.push(recorded[k++]!);
      k--;
      const isRoute = msg === 'ip_route_details' || msg === 'ip_route_v2_details';
      const want = run.map(payload).filter((p) => !isRoute || known(p));
      tally.skippedVppEntries += run.length - want.length;
      const got: Buffer[] = [];
      while (i < sim.length && sim[i]!.readUInt16BE(0) === r.msg_id) got.push(sim[i++]!);
      assert.deepEqual(got.map((p) => masked(msg, p)).sort(), want.map((p) => masked(msg, p)).sort(), `${t.scenario}: ${msg} set differs`);
      tally.compared += want.length;
      tally.bytes += want.reduce((a, p) => a + p.length, 0);
      continue;
    }
    const rp = payload(r);
    const s = sim[i];
    assert.ok(s, `${t.scenario}: simulator sent no reply for recorded ${r.msg} (frame ${i})`);
    assert.equal(s.readUInt16BE(0), r.msg_id, `${t.scenario}: reply ${i} is id ${s.readUInt16BE(0)}, recorded ${r.msg}`);
    assert.equal(masked(msg, s), masked(msg, rp), `${t.scenario}: ${r.msg} differs (reply ${i})`);
    tally.compared++;
    tally.bytes += rp.length;
    i++;
  }
  assert.equal(i, sim.length, `${t.scenario}: the simulator sent ${sim.length - i} replies more than VPP`);
}

test('the simulator answers every recorded request as the real VPP did', async () => {
  const path = join(tmpdir(), `vbt-transcripts-${process.pid}.sock`);
  const sim = await new VppSim({ socketPath: path }).start();
  const tally: Tally = { compared: 0, bytes: 0, skippedVppEntries: 0 };
  // Route entries the recorded clients installed: everything else in a dump is VPP's own.
  const ours = new Set<string>();
  const known = (p: Buffer) => ours.has(routePrefix(p));
  try {
    for (const sc of ['connect', 'interfaces', 'routes', 'fib-source', 'dumps', 'errors', 'replace', 'tables']) {
      const t = load(sc);
      for (const f of t.frames) {
        if (f.dir === 'client->vpp' && /^ip_route_add_del/.test(f.msg)) {
          const p = payload(f);
          ours.add(`${p[20]}:${p.subarray(21, 37).toString('hex')}/${p[37]}`);
        }
      }
      sim.vpePid = 17308;
      const got = await replay(path, t);
      compare(t, got, tally, known);
    }
    // The hazards ran on another VPP process with loop0 set up again.
    sim.restartEmpty();
    sim.interfaces.set(1, { swIfIndex: 1, name: 'loop0', flags: 3, mac: '02:fe:00:00:00:01' });
    sim.vpePid = 17804;
    compare(load('hazard-src'), await replay(path, load('hazard-src')), tally, known);
    assert.equal(sim.fib.get(0, '10.77.0.0/24')!.sources.get(200)![0]!.readUInt32BE(14), 2, 'src 200 installs a drop');

    const udp = load('hazard-udpencap');
    assert.equal(udp.frames.filter((f) => f.dir === 'vpp->client').length, 1, 'VPP crashed after the handshake');
    const got = await replay(path, udp);
    assert.equal(got.length, 2);
    assert.equal(got[1]!.readInt32BE(6), -7, 'UDP_ENCAP without an encap object is refused, not fatal');
    assert.equal(sim.count('ip_route_add_del'), 1);
  } finally {
    await sim.stop();
  }
  // The counts pin that no reply was silently left out of the comparison.
  assert.equal(tally.skippedVppEntries, EXPECTED_SKIPPED);
  assert.equal(tally.compared, EXPECTED_COMPARED, `compared ${tally.compared} frames (${tally.bytes} bytes), skipped ${tally.skippedVppEntries} VPP-own entries`);
});

// Every VPP frame of the 9 replayable transcripts (273) is either compared or a VPP-own entry.
const EXPECTED_COMPARED = 239;
const EXPECTED_SKIPPED = 34;
