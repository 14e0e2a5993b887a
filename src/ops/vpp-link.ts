// What the ops surface knows of the VPP connection: up or down, how often it came back, why it
// last went away, and the client's per-message request stats. In a dry run there is no VPP.
import type { RequestStat, VppClient } from 'vpp-binapi-ts';

export interface VppLinkState {
  mode: 'vpp' | 'dry-run';
  socket: string | null;
  connected: boolean;
  /** Successful handshakes since start (the first one included). */
  connects: number;
  /** Handshakes after a lost session (VPP restarted or the socket broke). */
  reconnects: number;
  lastDisconnect: { reason: string; at: string } | null;
  /** Sessions of dead API clients (a crashed fibmgr's) reaped at start; null: not checked. */
  leftoversReaped: number | null;
}

export class VppLink {
  private connects = 0;
  private reconnects = 0;
  private lastDisconnect: VppLinkState['lastDisconnect'] = null;
  private reaped: number | null = null;
  private readonly firstUp: Promise<void>;
  private resolveFirst!: () => void;

  /** Subscribe before connect(): the first handshake counts too. */
  constructor(private readonly client: VppClient | null, private readonly socket: string | null) {
    this.firstUp = new Promise((r) => (this.resolveFirst = r));
    if (!client) {
      this.resolveFirst();
      return;
    }
    client.on('connected', (info) => {
      this.connects++;
      if (info.reconnect) this.reconnects++;
      this.resolveFirst();
    });
    client.on('disconnected', ({ reason }) => {
      this.lastDisconnect = { reason, at: new Date().toISOString() };
    });
  }

  leftoversReaped(n: number | null): void {
    this.reaped = n;
  }

  /** Resolves after the first VPP handshake (at once in a dry run). */
  firstHandshake(): Promise<void> {
    return this.firstUp;
  }

  state(): VppLinkState {
    return {
      mode: this.client ? 'vpp' : 'dry-run',
      socket: this.socket,
      connected: this.client ? this.client.connected : true,
      connects: this.connects,
      reconnects: this.reconnects,
      lastDisconnect: this.lastDisconnect,
      leftoversReaped: this.reaped,
    };
  }

  requestStats(): ReadonlyMap<string, RequestStat> {
    return this.client?.requestStats() ?? new Map();
  }
}
