import type * as v from "valibot";

/**
 * Valibot's issues as the project reports them: `FIELD[0].child: what is wrong`.
 * Messages come from the schema, which never quotes a value (it may be a secret).
 */
export function problemsOf(issues: readonly v.BaseIssue<unknown>[], root: string): string[] {
  return issues.map((issue) => `${fieldOf(issue, root)}: ${issue.message}`);
}

function fieldOf(issue: v.BaseIssue<unknown>, root: string): string {
  let field = root;
  // An unknown key is reported at its object; the message names the key.
  const path = issue.expected === "never" ? (issue.path ?? []).slice(0, -1) : (issue.path ?? []);
  for (const item of path) {
    const key = item.key;
    if (typeof key === "number") field += `[${key}]`;
    else if (typeof key === "string") field = field === "" ? key : `${field}.${key}`;
  }
  return field;
}
