import type { FailureReason } from "./reasons.ts";

/**
 * The one result shape of the code: a value, or a failure carrying a reason a
 * machine acts on and a detail a person reads. Reasons default to the L402
 * refusal vocabulary; other modules name their own.
 */
export interface Failure<R extends string = FailureReason> {
  readonly ok: false;
  readonly reason: R;
  readonly detail: string;
}

export type Result<T, R extends string = FailureReason> = { readonly ok: true; readonly value: T } | Failure<R>;

export const fail = <R extends string = FailureReason>(reason: R, detail: string): Failure<R> => ({ ok: false, reason, detail });
export const succeed = <T>(value: T): { readonly ok: true; readonly value: T } => ({ ok: true, value });
