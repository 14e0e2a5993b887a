// `fibmgr decode FILE`: owned by the FPM decoder work.
export async function runDecode(file: string, opts: { fpmWeights: 'auto' | 'kernel' | 'legacy' }): Promise<number> {
  process.stderr.write(`decode not implemented yet: ${file} ${opts.fpmWeights}\n`);
  return 1;
}
