/**
 * The one result shape of the code: a value, or a failure carrying a reason a
 * machine acts on and a detail a person reads. Each module names its own
 * reasons; those that reach clients (402 bodies, CLI output) are part of the
 * public contract: add, never rename.
 */
export interface Failure<R extends string = string> {
  readonly ok: false;
  readonly reason: R;
  readonly detail: string;
}

export interface Success<T> {
  readonly ok: true;
  readonly value: T;
}

export type Result<T, R extends string = string> = Success<T> | Failure<R>;

export const fail = <R extends string>(reason: R, detail: string): Failure<R> => ({ ok: false, reason, detail });
export const succeed = <T>(value: T): Success<T> => ({ ok: true, value });
