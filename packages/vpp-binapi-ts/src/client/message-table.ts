// One session's message table: the ids VPP assigned (by name_crc) to the definitions the client
// was given, what kind of message each id is, and the checks that refuse a VPP whose CRCs differ
// for a required message. Rebuilt by every handshake.
import { MEMCLNT, SOCKCLNT_CREATE_REPLY_ID, keyName } from './handshake.js';
import { VppCrcMismatchError, type CrcMismatch } from './errors.js';
import type { MessageDef, VppLogger } from './types.js';

// kindById: 0 is an id not in VPP's message table
export const K_REPLY = 1;
export const K_DETAILS = 2;
export const K_PING_REPLY = 3;
export const K_EVENT = 4;
export const K_KEEPALIVE = 5;
export const K_DELETE_REPLY = 6;
export const K_OTHER = 7; // offered by VPP, nothing we expect

export interface MessageSet {
  /** Every definition the client knows (replies, details and events are found here by name). */
  messages: Record<string, MessageDef>;
  required?: MessageDef[];
  optional?: MessageDef[];
}

/** The reply (or details, for a dump or a "_get" stream) that answers `def`. */
export function companion(messages: Record<string, MessageDef>, def: MessageDef): MessageDef | undefined {
  if (def.name.endsWith('_dump')) return messages[def.name.slice(0, -5) + '_details'];
  // "_get" streams (lcp_itf_pair_get → lcp_itf_pair_details, then a reply) are read with dump().
  if (def.name.endsWith('_get') && messages[def.name.slice(0, -4) + '_details']) return messages[def.name.slice(0, -4) + '_details'];
  return messages[def.name + '_reply'];
}

export class MessageTable {
  readonly idByKey = new Map<string, number>();
  /** [request id, reply/details id] per definition object (-1: not offered) */
  private readonly idsByDef = new Map<MessageDef, [number, number]>();
  readonly kindById = new Uint8Array(65536);
  readonly defById: (MessageDef | undefined)[] = [];
  readonly pingId: number;
  readonly keepaliveReplyId: number;
  readonly deleteId: number;

  /** Throws VppCrcMismatchError when VPP lacks a required message (or its reply) with our CRC. */
  constructor(private readonly set: MessageSet, readonly table: Map<string, number>, log: VppLogger) {
    const mismatches: CrcMismatch[] = [];
    const check = (def: MessageDef) => {
      if (table.has(def.key)) return;
      const offered: string[] = [];
      for (const k of table.keys()) if (keyName(k) === def.name) offered.push(k);
      mismatches.push({ name: def.name, ours: def.crc, offered });
    };
    for (const def of set.required ?? []) {
      check(def);
      check(companion(set.messages, def)!);
    }
    if (mismatches.length) throw new VppCrcMismatchError(mismatches);

    for (const id of table.values()) this.kindById[id] = K_OTHER;
    for (const def of Object.values(set.messages)) {
      const id = table.get(def.key);
      if (id === undefined) continue;
      this.idByKey.set(def.key, id);
      this.defById[id] = def;
      if (def.name.endsWith('_reply')) this.kindById[id] = K_REPLY;
      else if (def.name.endsWith('_details')) this.kindById[id] = K_DETAILS;
      else if (def.name.endsWith('_event')) this.kindById[id] = K_EVENT;
    }
    for (const key of Object.values(MEMCLNT)) {
      const id = table.get(key);
      if (id !== undefined) this.idByKey.set(key, id);
    }
    const need = (key: string) => {
      const id = table.get(key);
      if (id === undefined) throw new VppCrcMismatchError([{ name: keyName(key), ours: key.slice(-8), offered: [...table.keys()].filter((k) => keyName(k) === keyName(key)) }]);
      return id;
    };
    this.pingId = need(MEMCLNT.control_ping);
    this.kindById[need(MEMCLNT.control_ping_reply)] = K_PING_REPLY;
    this.deleteId = need(MEMCLNT.sockclnt_delete);
    this.kindById[need(MEMCLNT.sockclnt_delete_reply)] = K_DELETE_REPLY;
    const ka = table.get(MEMCLNT.memclnt_keepalive);
    this.keepaliveReplyId = table.get(MEMCLNT.memclnt_keepalive_reply) ?? 0;
    if (ka !== undefined && this.keepaliveReplyId) this.kindById[ka] = K_KEEPALIVE;
    this.kindById[SOCKCLNT_CREATE_REPLY_ID] = K_OTHER;
    for (const def of set.optional ?? []) {
      if (!this.has(def)) log.info({ message: def.key }, 'vpp does not offer optional message');
    }
  }

  /** Whether VPP offers this message (and its reply) with our CRC. */
  has(def: MessageDef): boolean {
    const c = companion(this.set.messages, def);
    return this.idByKey.has(def.key) && !!c && this.idByKey.has(c.key);
  }

  /** [request id, reply id] of `def` in this session; -1 where VPP does not offer it. */
  ids(def: MessageDef): [number, number] {
    let ids = this.idsByDef.get(def);
    if (!ids) {
      const comp = companion(this.set.messages, def);
      ids = [this.idByKey.get(def.key) ?? -1, comp ? this.idByKey.get(comp.key) ?? -1 : -1];
      this.idsByDef.set(def, ids);
    }
    return ids;
  }
}
