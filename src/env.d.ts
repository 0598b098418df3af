/** The Worker's bindings: wrangler.toml vars, and secrets (see .dev.vars.example). */
declare namespace Cloudflare {
  interface Env {
    /** Secret. Comma-separated hex master keys; the first mints, the others only verify. */
    L402_MASTER_KEYS?: string;
    L402_LOCATION: string;
  }
}
type Env = Cloudflare.Env;
