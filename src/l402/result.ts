import type { Failure as AnyFailure, Result as AnyResult } from "../result.ts";
import type { FailureReason } from "./reasons.ts";

/** The code's one result shape (src/result.ts), its reasons defaulting to L402's refusal vocabulary. */
export type Failure<R extends string = FailureReason> = AnyFailure<R>;
export type Result<T, R extends string = FailureReason> = AnyResult<T, R>;
export { fail, succeed } from "../result.ts";
