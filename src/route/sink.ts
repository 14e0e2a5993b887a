// The seam between ingestion (FPM) and programming (sync): the FPM server pushes decoded events
// into a RouteSink and asks it whether to keep reading. Both sides code against this alone.
import type { Prefix, RouteEvent, RouteType } from './types.js';

export interface RouteSink {
  /**
   * A new zebra session came up (a reconnect or zebra restart): its replay follows.
   * `zebraProcess` names the process at the other end ("pid@start time", unique for the host's
   * uptime) when this host shows it, else null: another value than the last session's means
   * zebra restarted.
   */
  sessionStart(sessionId: number, zebraProcess?: string | null): void;
  /** The session ended (closed by zebra, replaced, or closed by us on bad input). */
  sessionEnd(sessionId: number, reason: string): void;
  /** Events of one read, in stream order. Skipped/error events may be passed too (for counting). */
  apply(sessionId: number, events: RouteEvent[]): void;
  /**
   * Backpressure: true while the backlog is past its bound. The FPM server stops reading the
   * socket while it is true, and resumes when `onDrain` fires — nothing is dropped.
   */
  readonly congested: boolean;
  onDrain(cb: () => void): void;
  /** The session can take route notifications (zebra reads them): report through `reporter`. */
  attachReporter?(sessionId: number, reporter: RouteReporter): void;
}

/**
 * The way back to zebra (route notifications): what the dataplane did with a route zebra sent.
 * The FPM side implements it per session; the sync side calls it as routes get installed or fail.
 * Positional arguments, as a replay reports a million routes.
 */
export interface RouteReporter {
  /**
   * One route: its network `prefix` (read during the call only: the caller may reuse one object);
   * `table`, `protocol` and `type` are what zebra sent (table id, rtm_protocol, type); `src`, a
   * source-specific route's source prefix. Returns false, having taken nothing, while the way back
   * is full: call again after `onRoom`.
   */
  report(prefix: Prefix, table: number, protocol: number, type: RouteType, installed: boolean, src?: Prefix | null): boolean;
  onRoom(cb: () => void): void;
}
