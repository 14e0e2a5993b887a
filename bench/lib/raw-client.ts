// bench:real's raw pipelined client, one pass per process: every ip_route_add_del_v2 of the pass
// (the requests fibmgr writes for the FPM stream: its prefixes, each via its nexthop group's two
// recursive next hops) packed beforehand with the project's bulk encoder, then written `batch` at
// a time within `window` requests in flight.
// Args: apiSock v4 v6 window batch gather ('gN': replies read every N ms; '': as they come) add|del src sendBuffer (bytes, as fibmgr's
// --vpp-send-buffer; 0: the system's). IPC: {ready} once packed and
// connected; on 'go' the pass runs and {s, cpu, faults, failed, reads} comes back; then it exits.
import net from 'node:net';
import { routeRequestDef, encodeSockclntCreate, encodeSockclntDelete, decodeSockclntCreateReply, MEMCLNT, FrameReader, HEADER_SIZE, frame, writeHeader } from 'vpp-binapi-ts';
import { ip_route_add_del_v2, FibPathNhProto } from 'vpp-binapi-ts/gen';
import { measure } from './pipeline.js';
import { sendBufferShortfall, setSendBuffer } from '../../src/vpp-send-buffer.js';
import { GROUPS, hopAddress, routePrefix } from '../../src/warm-up/stream.js';

const [apiSock, v4s, v6s, windowS, batchS, gatherS, op, srcS, sendBufferS] = process.argv.slice(2);
const V4 = Number(v4s);
const V6 = Number(v6s);
const TOTAL = V4 + V6;
const window = Number(windowS);
const batch = Number(batchS);
/** "gN": replies read every N ms; "": as they come. */
const gatherMs = gatherS ? Number(gatherS.slice(1)) : 0;
if (gatherS && !(gatherS.startsWith('g') && Number.isInteger(gatherMs) && gatherMs > 0)) throw new Error(`raw client: gather "${gatherS}": gN, N a whole number of ms > 0`);
const isAdd = op === 'add';
const src = Number(srcS);

const bulk = routeRequestDef(ip_route_add_del_v2);
// The stream's route j names group j % GROUPS, whose members are the single next hops k and k + 1
// (src/warm-up/stream.ts, hopAddress) on interfaces VPP does not know: fibmgr writes them as recursive paths,
// weight 1, in that order. VPP's work per route depends on them (path lists and their children):
// the same next hops as fibmgr's, or the two clients are not doing the same thing.
const groupPaths = (family: 4 | 6): Uint8Array[] => Array.from({ length: GROUPS }, (_, k) => bulk.pathBytes([k, (k + 1) % GROUPS].map((h) => ({
  sw_if_index: 0xffffffff, weight: 1,
  proto: family === 4 ? FibPathNhProto.FIB_API_PATH_NH_PROTO_IP4 : FibPathNhProto.FIB_API_PATH_NH_PROTO_IP6,
  nh: { address: family === 4 ? { ip4: hopAddress(4, h) } : { ip6: hopAddress(6, h) } },
}))));
const path4 = groupPaths(4);
const path6 = groupPaths(6);

/** Every request of the pass, framed, in one buffer; `ends[i]` is where request i ends. */
function pack(clientIndex: number, msgId: number): { buf: Buffer; ends: Uint32Array } {
  const per = HEADER_SIZE + bulk.size({ paths: path6[0] } as any);
  const buf = Buffer.alloc(TOTAL * per);
  const ends = new Uint32Array(TOTAL);
  let off = 0;
  for (let i = 0; i < TOTAL; i++) {
    const v6 = i >= V4;
    const j = v6 ? i - V4 : i;
    const paths = isAdd ? (v6 ? path6 : path4)[j % GROUPS]! : new Uint8Array(0);
    const req = {
      client_index: clientIndex, context: i + 1, is_add: isAdd, table: 0, src, paths,
      prefix: routePrefix(v6 ? 6 : 4, j),
    } as const;
    const size = bulk.size(req as any);
    writeHeader(buf, off, size);
    bulk.encodeInto(buf, off + HEADER_SIZE, msgId, req as any);
    off += HEADER_SIZE + size;
    ends[i] = off;
  }
  return { buf: buf.subarray(0, off), ends };
}

let handler: ((buf: Buffer, s: number, e: number) => void) | null = null;
const reader = new FrameReader((buf, s, e) => handler?.(buf, s, e));
let reads = 0;
let sent = 0;
let done = 0;
let gathering: NodeJS.Timeout | null = null;
// reads into one reused buffer (as vpp-binapi-ts does): with it, pause() stops reading at once,
// where a stream's pause() lets the socket go on reading into the stream's buffer
const readBuf = Buffer.allocUnsafe(64 * 1024);
const sock: net.Socket = net.connect({
  path: apiSock,
  onread: {
    buffer: readBuf,
    callback: (n) => {
      reads++;
      reader.push(readBuf, n);
      // the "/g" passes: with many in flight, replies are read every gatherMs rather than as they come
      // (a read that filled the buffer is followed by the next at once, as in vpp-binapi-ts)
      if (gatherMs > 0 && n < readBuf.length && !gathering && sent - done >= 64) {
        sock.pause();
        gathering = setTimeout(() => { gathering = null; sock.resume(); }, gatherMs);
      }
      return true;
    },
  },
});
await new Promise((r, j) => { sock.once('connect', r); sock.once('error', j); });
// the same socket as fibmgr's: what the kernel holds for VPP is part of how a client feeds it
const sendBuffer = Number(sendBufferS ?? 0);
if (sendBuffer > 0) {
  const short = sendBufferShortfall(await setSendBuffer(sock, sendBuffer), sendBuffer);
  if (short) throw new Error(`raw client's VPP socket: send buffer: ${short}`);
}
const hello = await new Promise<ReturnType<typeof decodeSockclntCreateReply>>((resolve) => {
  handler = (buf, s, e) => resolve(decodeSockclntCreateReply(buf, s, e));
  sock.write(frame(encodeSockclntCreate(1, 'fibmgr-bench-raw')));
});
const { buf, ends } = pack(hello.index, hello.table.get(ip_route_add_del_v2.key)!);
process.send!({ ready: true });
await new Promise((resolve) => process.once('message', resolve));

const m = measure();
let failed = 0;
await new Promise<void>((resolve) => {
  const pump = (): void => {
    while (sent < TOTAL && sent - done + batch <= window) {
      const n = Math.min(batch, TOTAL - sent);
      sock.write(buf.subarray(sent === 0 ? 0 : ends[sent - 1]!, ends[sent + n - 1]!));
      sent += n;
    }
  };
  // the reply's retval sits after id (2) and context (4)
  handler = (b, s) => {
    if (b.readInt32BE(s + 6) !== 0) failed++;
    if (++done === TOTAL) resolve();
    else if (sent - done + batch <= window) pump();
  };
  pump();
});
const result = { s: m.seconds(), cpu: m.cpuS(), faults: m.faults(), failed, reads };
// a client that leaves without sockclnt_delete makes VPP spin on its socket (docs/upstream)
await new Promise<void>((resolve) => {
  handler = () => resolve();
  sock.write(frame(encodeSockclntDelete(hello.table.get(MEMCLNT.sockclnt_delete)!, hello.index)));
});
sock.destroy();
process.send!(result, () => process.exit(0));
