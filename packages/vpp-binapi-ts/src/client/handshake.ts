// sockclnt_create / its reply with the message table, and the few memclnt messages the client
// speaks itself. vpp_papi hard-codes ids 15/16 for the handshake; everything else is looked up.
import { VppProtocolError } from './errors.js';

export const SOCKCLNT_CREATE_ID = 15;
export const SOCKCLNT_CREATE_REPLY_ID = 16;
export const NAME_LEN = 64;
const ENTRY_LEN = 2 + NAME_LEN;

/** Keys (name_crc) of the memclnt messages the client handles by hand. */
export const MEMCLNT = {
  control_ping: 'control_ping_51077d14',
  control_ping_reply: 'control_ping_reply_f6b0b8ca',
  sockclnt_delete: 'sockclnt_delete_8ac76db6',
  sockclnt_delete_reply: 'sockclnt_delete_reply_8f38b1ee',
  memclnt_keepalive: 'memclnt_keepalive_51077d14',
  memclnt_keepalive_reply: 'memclnt_keepalive_reply_e8d4e804',
} as const;

export function writeName(buf: Buffer, off: number, name: string): void {
  buf.fill(0, off, off + NAME_LEN);
  buf.write(name.slice(0, NAME_LEN - 1), off, 'latin1');
}

export function readName(buf: Buffer, off: number, len = NAME_LEN): string {
  let end = off;
  const limit = off + len;
  while (end < limit && buf[end] !== 0) end++;
  return buf.toString('latin1', off, end);
}

/** sockclnt_create payload: id, context, name[64]. */
export function encodeSockclntCreate(context: number, name: string): Buffer {
  const b = Buffer.alloc(2 + 4 + NAME_LEN);
  b.writeUInt16BE(SOCKCLNT_CREATE_ID, 0);
  b.writeUInt32BE(context >>> 0, 2);
  writeName(b, 6, name);
  return b;
}

/**
 * sockclnt_delete payload: id, client_index, context, index (the session's own index). VPP frees
 * the registration and closes its end at once: the one goodbye VPP handles cleanly whatever state
 * its socket reader is in (docs/upstream/vpp-socket-eof-spin.md).
 */
export function encodeSockclntDelete(deleteId: number, clientIndex: number): Buffer {
  const b = Buffer.alloc(14);
  b.writeUInt16BE(deleteId, 0);
  b.writeUInt32BE(clientIndex >>> 0, 2);
  b.writeUInt32BE(0, 6);
  b.writeUInt32BE(clientIndex >>> 0, 10);
  return b;
}

export interface SockclntCreateReply {
  context: number;
  response: number;
  index: number;
  /** name_crc → id */
  table: Map<string, number>;
}

export function decodeSockclntCreateReply(buf: Buffer, start = 0, end = buf.length): SockclntCreateReply {
  if (end - start < 20) throw new VppProtocolError(`sockclnt_create_reply too short (${end - start} bytes)`);
  const id = buf.readUInt16BE(start);
  if (id !== SOCKCLNT_CREATE_REPLY_ID) throw new VppProtocolError(`expected sockclnt_create_reply (16), got id ${id}`);
  const context = buf.readUInt32BE(start + 6);
  const response = buf.readInt32BE(start + 10);
  const index = buf.readUInt32BE(start + 14);
  const count = buf.readUInt16BE(start + 18);
  const need = 20 + count * ENTRY_LEN;
  if (end - start < need) throw new VppProtocolError(`sockclnt_create_reply truncated: ${count} entries need ${need} bytes, got ${end - start}`);
  const table = new Map<string, number>();
  let off = start + 20;
  for (let i = 0; i < count; i++, off += ENTRY_LEN) table.set(readName(buf, off + 2), buf.readUInt16BE(off));
  return { context, response, index, table };
}

export function encodeSockclntCreateReply(context: number, index: number, table: Map<string, number>, response = 0): Buffer {
  const b = Buffer.alloc(20 + table.size * ENTRY_LEN);
  b.writeUInt16BE(SOCKCLNT_CREATE_REPLY_ID, 0);
  b.writeUInt32BE(0, 2);
  b.writeUInt32BE(context >>> 0, 6);
  b.writeInt32BE(response, 10);
  b.writeUInt32BE(index >>> 0, 14);
  b.writeUInt16BE(table.size, 18);
  let off = 20;
  for (const [key, id] of table) {
    b.writeUInt16BE(id, off);
    writeName(b, off + 2, key);
    off += ENTRY_LEN;
  }
  return b;
}

/** The name part of a name_crc key. */
export function keyName(key: string): string {
  return key.replace(/_[0-9a-f]{8}$/, '');
}
