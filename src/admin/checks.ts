import type { Context } from "hono";
import { validator } from "hono/validator";
import * as v from "valibot";
import { problemsOf } from "../config/index.ts";

/** The admin API's answers are never cached. */
export const NO_STORE = { "Cache-Control": "no-store" };

export const badRequest = (c: Context, detail: string) => c.json({ reason: "bad_request", detail }, 400, NO_STORE);

/** Every problem, by field; one with the whole value names none. */
export const detailOf = (issues: readonly v.BaseIssue<unknown>[]) => problemsOf(issues, "").map((problem) => problem.replace(/^: /, "")).join("; ");

/** Hono's validator for a request's query or path parameters, with a valibot schema: a bad one is a 400 naming it. */
export const checked = <Target extends "query" | "param", Schema extends v.GenericSchema>(target: Target, schema: Schema) =>
  validator(target, (value, c) => {
    const parsed = v.safeParse(schema, value, { abortPipeEarly: true });
    return parsed.success ? (parsed.output as v.InferOutput<Schema>) : badRequest(c, detailOf(parsed.issues));
  });
