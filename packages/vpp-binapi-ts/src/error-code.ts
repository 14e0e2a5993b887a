// Telling errors apart by their `code` rather than by class: a predicate made here holds for an
// error from any copy of the package (two installs of it in one program each have their own
// classes, so instanceof fails across them; the code is the same string).

/** An error's `code`, whatever was thrown. */
export function codeOf(err: unknown): unknown {
  return typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
}

/** A type guard for the errors that carry `code`. */
export function hasCode<T extends Error>(code: string): (err: unknown) => err is T {
  return (err: unknown): err is T => codeOf(err) === code;
}
