// One life of fibmgr in a campaign, wired as the daemon's route path (src/route-path.ts) is but
// built here, at the campaign's settings (window 1,024, its own timeouts): the VPP client and adapter
// (connected with the daemon's backoff), the reconciler and its auditor, and in place of the TCP
// server a shim that gives each zebra connection a session decoder of its own and stops taking
// bytes while the reconciler is congested (as FpmServer pauses the socket). A restart is a new
// FibmgrNode on the same simulator: it adopts what VPP holds.
import type { Logger } from '../../src/log.js';
import { FpmSessionDecoder } from '../../src/fpm/session-decoder.js';
import { Reconciler } from '../../src/sync/reconciler.js';
import { Auditor } from '../../src/sync/audit/auditor.js';
import { OPTIONAL, REQUIRED, VppAdapter } from '../../src/sync/vpp/vpp-adapter.js';
import { VppClient, type MessageDef } from 'vpp-binapi-ts';
import { messages } from 'vpp-binapi-ts/gen';
import { connectVpp } from '../../src/vpp-connect.js';
import { IFMAP } from './vpp-world.js';
import { prefixText } from '../../src/route/prefix.js';

export interface FibmgrSettings {
  resyncGraceMs: number;
  staleTimeMs: number;
  maxBacklog: number;
  vppTimeoutMs: number;
  auditIntervalMs: number;
}

export interface FpmLink {
  readonly id: number;
  /** Bytes of zebra's stream; false when fibmgr is congested (zebra waits for onDrain). */
  deliver(chunk: Buffer): void;
  readonly congested: boolean;
  close(reason: string): void;
}

export class FibmgrNode {
  readonly client: VppClient;
  readonly port: VppAdapter;
  readonly sync: Reconciler;
  private readonly auditor: Auditor;
  /** The FPM server would accept zebra now (the daemon listens once VPP answered). */
  listening = false;
  alive = true;
  private link: { id: number; decoder: FpmSessionDecoder; closed: boolean; onClosed: (why: string) => void } | null = null;
  private drainWaiters: (() => void)[] = [];

  constructor(socketPath: string, private readonly s: FibmgrSettings, private readonly log: Logger, private readonly o: { listenBeforeAdoption: boolean; sessionId: () => number; sent?: (key: string, del: boolean) => void }) {
    const defs = messages as unknown as Record<string, MessageDef>;
    this.client = new VppClient({
      socketPath,
      messages: defs,
      required: REQUIRED.map((n) => defs[n]!),
      optional: OPTIONAL.map((n) => defs[n]).filter((d): d is MessageDef => !!d),
      timeoutMs: s.vppTimeoutMs,
      window: 1024,
      logger: log.child({ component: 'vpp-client' }),
    });
    const interfaceMap = [...IFMAP].map(([linux, vpp]) => ({ linux, vpp }));
    this.port = new VppAdapter({
      client: this.client, messages: defs, interfaceMap, logger: log,
      auditClient: () => new VppClient({ socketPath, messages: defs, required: REQUIRED.map((n) => defs[n]!), timeoutMs: s.vppTimeoutMs, window: 16, reconnect: false }),
    });
    // what fibmgr asks of VPP, route by route, as it leaves (the oracle tells a late delete from a decision by it)
    const sent = this.o.sent;
    if (sent) {
      const write = this.port.write.bind(this.port);
      this.port.write = (token, table, prefix, paths) => {
        sent(`${table}|${prefixText(prefix)}`, paths === null);
        write(token, table, prefix, paths);
      };
    }
    this.sync = new Reconciler(this.port, {
      tableMap: new Map(),
      installConnected: false,
      resyncGraceMs: s.resyncGraceMs,
      staleTimeMs: s.staleTimeMs,
      maxBacklog: s.maxBacklog,
      logger: log,
    });
    this.sync.onDrain(() => {
      for (const cb of this.drainWaiters.splice(0)) cb();
    });
    this.auditor = new Auditor(this.sync, { intervalMs: s.auditIntervalMs, logger: log });
  }

  /** As runDaemon: VPP first (retried with the daemon's backoff), then FPM is let in while VPP's routes are adopted. */
  async start(): Promise<void> {
    await connectVpp(this.client, () => !this.alive);
    if (!this.alive) return;
    const started = this.sync.start();
    // the daemon lets zebra in while VPP's routes are read, once VPP's interface map is loaded;
    // the campaign may wait for the whole adoption (a fault switched off)
    if (this.o.listenBeforeAdoption) {
      await this.sync.interfacesLoaded();
      this.listening = this.alive;
    }
    await started;
    this.listening = this.alive;
    if (this.alive) this.auditor.start();
  }

  /** zebra connects: a session of its own (the daemon's FpmServer.startSession). */
  accept(onClosed: (why: string) => void, zebraProcess: string | null): FpmLink | null {
    if (!this.alive || !this.listening) return null;
    this.link?.onClosed('replaced by a new connection');
    this.endLink('replaced by a new connection');
    const id = this.o.sessionId();
    const l = { id, decoder: new FpmSessionDecoder({ weights: 'auto' }), closed: false, onClosed };
    this.link = l;
    this.sync.sessionStart(id, zebraProcess);
    const node = this;
    return {
      id,
      deliver(chunk: Buffer) {
        if (l.closed) return;
        const events = l.decoder.push(chunk);
        if (events.length) node.sync.apply(id, events);
        if (l.decoder.fatal) {
          node.endLink(`bad input: ${l.decoder.fatal.reason}`);
          l.onClosed('closed by fibmgr: bad input');
        }
      },
      get congested() {
        return node.sync.congested;
      },
      close(reason: string) {
        if (node.link === l) node.endLink(reason);
      },
    };
  }

  /** Calls `cb` once the reconciler is no longer congested. */
  whenDrained(cb: () => void): void {
    if (!this.sync.congested) cb();
    else this.drainWaiters.push(cb);
  }

  private endLink(reason: string): void {
    const l = this.link;
    if (!l || l.closed) return;
    l.closed = true;
    this.link = null;
    this.sync.sessionEnd(l.id, reason);
  }

  /** SIGTERM: FPM closed, writes in flight finished, VPP keeps the routes, the client says goodbye. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    this.alive = false;
    this.listening = false;
    this.auditor.stop();
    const l = this.link;
    this.endLink('fibmgr stopping');
    l?.onClosed('fibmgr stopped');
    await this.sync.stop({ flush: false });
    await this.client.close();
  }

  /** kill -9: nothing finishes; the kernel closes the sockets. */
  crash(): Promise<void> {
    if (!this.alive) return Promise.resolve();
    this.alive = false;
    this.listening = false;
    this.auditor.stop();
    const l = this.link;
    this.link = null;
    if (l) l.closed = true;
    l?.onClosed('fibmgr died');
    // the process is gone: its timers and queues with it (stop() without waiting for anything)
    void this.sync.stop({ flush: false, timeoutMs: 0 });
    return this.client.close();
  }
}
