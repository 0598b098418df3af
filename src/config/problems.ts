import type * as v from "valibot";
import { fail, type Failure, type Success } from "../result.ts";

/**
 * Valibot's issues as the project reports them: `FIELD[0].child: what is wrong`,
 * or `FIELD "name".child` where `itemName` names the root's items (a service is
 * found by its name, not by counting). Messages come from the schema, which
 * never quotes a value (it may be a secret).
 */
export function problemsOf(issues: readonly v.BaseIssue<unknown>[], root: string, itemName?: (index: number) => string | undefined): string[] {
  return issues.map((issue) => `${fieldOf(issue, root, itemName)}: ${withoutValue(issue.message)}`);
}

/** A message valibot wrote itself, where a schema gave none, ends quoting the value it received ("… but received …", "Invalid input: Received …"): cut, should a schema ever lack one. */
const withoutValue = (message: string): string => message.replace(/(?: but r|: R)eceived [\s\S]*$/, "");

function fieldOf(issue: v.BaseIssue<unknown>, root: string, itemName: ((index: number) => string | undefined) | undefined): string {
  let field = root;
  // An unknown key is reported at its object; the message names the key.
  const path = issue.expected === "never" ? (issue.path ?? []).slice(0, -1) : (issue.path ?? []);
  for (const [depth, item] of path.entries()) {
    const key = item.key;
    const name = depth === 0 && typeof key === "number" ? itemName?.(key) : undefined;
    if (name !== undefined) field += ` "${name}"`;
    else if (typeof key === "number") field += `[${key}]`;
    else if (typeof key === "string") field = field === "" ? key : `${field}.${key}`;
  }
  return field;
}

/** Settings that do not hold together: every problem, by field (never quoting a value). */
export interface SettingsFailure extends Failure<"invalid_config"> {
  readonly problems: readonly string[];
}

export type SettingsResult<T> = Success<T> | SettingsFailure;

export const settingsFailure = (problems: readonly string[]): SettingsFailure => ({ ...fail("invalid_config", problems.join("; ")), problems });
