import { readdirSync, readFileSync } from "node:fs";

/**
 * CPU time of the workerd processes a benchmark starts, read from Linux's
 * /proc: what the Worker (and its Durable Objects, which run in the same
 * process) spent, whatever else the machine was doing. Wall-clock figures on
 * a shared machine move with its load; these move far less. Elsewhere than
 * Linux there is no figure (undefined).
 */

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
};

/** The workerd processes this process has started (Miniflare spawns one per instance). */
export function workerdPids(): Set<number> {
  const pids = new Set<number>();
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return pids;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = read(`/proc/${entry}/stat`);
    // pid (comm) state ppid ...: the command name may hold spaces, so fields are counted after its ")".
    const match = stat === undefined ? null : /^\d+ \((.*)\) \S+ (\d+)/s.exec(stat);
    if (match?.[1] === "workerd" && Number(match[2]) === process.pid) pids.add(Number(entry));
  }
  return pids;
}

/** Nanoseconds of CPU `pid` has run so far, all its threads (each thread's schedstat); undefined off Linux. */
export function cpuNanoseconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  return tasks.reduce((sum, task) => sum + Number(read(`/proc/${pid}/task/${task}/schedstat`)?.split(" ")[0] ?? 0), 0);
}

/** Starts something that spawns one workerd (startWorkerd), and says which process it is. */
export async function withPid<T>(start: () => Promise<T>): Promise<T & { readonly pid: number | undefined }> {
  const before = workerdPids();
  const started = await start();
  const pid = [...workerdPids()].find((candidate) => !before.has(candidate));
  return { ...started, pid };
}
