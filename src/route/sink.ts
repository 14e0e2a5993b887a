// The seam between ingestion (FPM) and programming (sync): the FPM server pushes decoded events
// into a RouteSink and asks it whether to keep reading. Both sides code against this alone.
import type { RouteEvent } from './types.js';

export interface RouteSink {
  /** A new zebra session came up (a reconnect or zebra restart): its replay follows. */
  sessionStart(sessionId: number): void;
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
}
