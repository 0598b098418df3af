/** The command line's way out: one line on stderr and an exit code, never a stack trace. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export const EXIT = { ok: 0, refused: 1, usage: 2 } as const;

export const printJson = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};
