import { randomBytes } from "node:crypto";
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The files one `npm run dev` stack writes beside its configuration: wrangler's
 * local state (D1, Durable Objects: `--persist-to`) and the env file of secrets
 * it hands wrangler. The first stack in a project takes wrangler's usual ones
 * (`.wrangler/state`, kept between runs) and holds them with a lock file naming
 * its pid. A stack started while that one runs gets a directory of its own,
 * removed when it stops: two stacks never read each other's secrets or share a
 * database.
 */
export interface StackFiles {
  /** wrangler's `--persist-to`. */
  readonly stateDirectory: string;
  /** Set when another running stack holds the usual files: its pid, and where this one keeps its own. */
  readonly beside: { readonly pid: number | undefined; readonly directory: string } | undefined;
  /** Writes the env file with this stack's simulator credentials, origin secret and admin token (0600); its path. */
  writeSecrets(secrets: Record<string, string>): string;
  /** Removes what does not outlive the stack: the secrets file and the lock, or the whole directory of a stack beside another. */
  release(): void;
}

export function claimStackFiles(projectDirectory: string): StackFiles {
  const wrangler = join(projectDirectory, ".wrangler");
  mkdirSync(wrangler, { recursive: true });
  removeAbandoned(wrangler);
  const lock = join(wrangler, "dev-stack.pid");
  const holder = takeLock(lock);
  const secretsIn = (file: string) => (secrets: Record<string, string>) => {
    writeFileSync(file, Object.entries(secrets).map(([name, value]) => `${name}=${value}\n`).join(""), { mode: 0o600 });
    return file;
  };
  if (holder === "taken") {
    const secretsFile = join(wrangler, "dev-stack.vars");
    return {
      stateDirectory: join(wrangler, "state"),
      beside: undefined,
      writeSecrets: secretsIn(secretsFile),
      release: () => {
        rmSync(secretsFile, { force: true });
        rmSync(lock, { force: true });
      },
    };
  }
  const own = join(wrangler, `dev-stack-${process.pid}`);
  mkdirSync(own, { recursive: true, mode: 0o700 });
  return {
    stateDirectory: join(own, "state"),
    beside: { pid: holder, directory: own },
    writeSecrets: secretsIn(join(own, "secrets.vars")),
    release: () => rmSync(own, { recursive: true, force: true }),
  };
}

/** "taken", or the pid of the running stack holding the lock (undefined: one is writing it this instant). */
function takeLock(lock: string): "taken" | number | undefined {
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(lock, String(process.pid), { flag: "wx" });
      return "taken";
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const text = readFileSync(lock, "utf8");
    if (text === "" || attempt > 0) return /^\d+$/.test(text) ? Number(text) : undefined;
    if (isRunning(Number(text))) return Number(text);
    // Left by a stack that did not stop cleanly.
    rmSync(lock, { force: true });
  }
}

/** Directories of stacks that ran beside another and did not stop cleanly. */
function removeAbandoned(wrangler: string): void {
  for (const entry of readdirSync(wrangler)) {
    const pid = /^dev-stack-(\d+)$/.exec(entry)?.[1];
    if (pid !== undefined && !isRunning(Number(pid))) rmSync(join(wrangler, entry), { recursive: true, force: true });
  }
}

function isRunning(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export class DevVarsError extends Error {}

/**
 * A master key in the .dev.vars at `path` (git ignores the file), made on first
 * run. Made whole or not at all: written aside, then linked into place, which
 * fails if another stack starting at the same moment linked its own first; that
 * one is then used. Returns what was done, for the banner.
 */
export function ensureDevVars(path: string): string | undefined {
  if (!existsSync(path)) {
    const draft = `${path}.${process.pid}.tmp`;
    writeFileSync(draft, `# Created by npm run dev. Never commit this file.\nL402_MASTER_KEYS=${randomBytes(32).toString("hex")}\n`, { mode: 0o600 });
    try {
      linkSync(draft, path);
      return `created ${path} with a new master key`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    } finally {
      unlinkSync(draft);
    }
  }
  if (!/^L402_MASTER_KEYS=\s*[0-9a-fA-F]{64,}/m.test(readFileSync(path, "utf8"))) {
    throw new DevVarsError(`${path} has no L402_MASTER_KEYS; add one (npx l402-edge keygen) or remove the file`);
  }
  return undefined;
}
