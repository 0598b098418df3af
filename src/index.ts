import { loadKeyring } from "./config/keys.ts";
import { nativeHmacSha256 } from "./crypto/hmac.ts";

/**
 * Worker entry. The paywall pipeline arrives with the edge-paywall work; until
 * then the Worker reports whether its keys are configured and refuses the rest.
 */
export default {
  fetch(request: Request, env: Env): Response {
    const url = new URL(request.url);
    if (url.pathname !== "/.well-known/l402/health") {
      return Response.json({ reason: "not_configured", detail: "no services are configured" }, { status: 503 });
    }
    const keyring = loadKeyring(env.L402_MASTER_KEYS, nativeHmacSha256);
    return Response.json({ ok: keyring.ok, ...(keyring.ok ? { keys: keyring.value.byId.size } : { error: keyring.error }) });
  },
} satisfies ExportedHandler<Env>;
