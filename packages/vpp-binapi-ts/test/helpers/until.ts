// Waits for a condition the test means (an event seen, a state reached), polled, with a generous
// deadline that only a real failure reaches.
export async function until(what: string, cond: () => Promise<boolean> | boolean, ms = 20_000, detail: () => unknown = () => ''): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} ${JSON.stringify(await detail())}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
