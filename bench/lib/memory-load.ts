// bench:real's memory load (REAL_BENCH_AA=raw+load): another core's memory traffic and nothing
// else. It writes one word in every 64-byte line of `mb` MB, over and over: each pass misses the
// caches all the way, as a client building a table does, at the most that one core can move. The
// bench runs it at the lowest priority on the clients' core, so that it takes the core's idle time
// and not the raw client's, and ends it with SIGKILL. IPC: {running} after its first pass.
const mb = Number(process.argv[2] ?? 256);
if (!(Number.isInteger(mb) && mb > 0)) throw new Error(`memory load: "${process.argv[2]}" is not a whole number of MB > 0`);
const words = new Float64Array(mb * 131_072);
let pass = 0;
const onePass = (): void => {
  pass++;
  for (let i = 0; i < words.length; i += 8) words[i] = pass;
  if (pass === 1) process.send?.({ running: true });
  // between passes, the event loop runs: the message above goes out
  setImmediate(onePass);
};
onePass();
// the bench gone (crashed, or killed): nothing else would end this process
process.on('disconnect', () => process.exit(1));
