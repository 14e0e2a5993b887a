// Preloaded into a fibmgr child (NODE_OPTIONS=--import THIS): SIGUSR2 makes it throw an exception
// nothing catches, so that tests can take the last-resort guard's way out of a running daemon.
process.on('SIGUSR2', () => setImmediate(() => { throw new Error('boom (a test sent SIGUSR2)'); }));
