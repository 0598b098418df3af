/** The command line's way out: one line on stderr and an exit code, never a stack trace. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** What this machine keeps for the command line is unusable (a token file or spend ledger unreadable, a lock held too long): said as it is, exit 70. */
export class LocalStateError extends Error {
  override readonly name = "LocalStateError";
}

export const EXIT = { ok: 0, refused: 1, usage: 2 } as const;

export const printJson = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};
