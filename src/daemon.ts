// Wiring and lifecycle of the long-running daemon. Owned by the FPM server work until the sync layer lands.
import type { Config } from './config/options.js';

export async function runDaemon(config: Config): Promise<void> {
  throw new Error(`daemon not wired yet (config: ${JSON.stringify(config)})`);
}
