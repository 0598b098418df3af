import type { ServiceConfig } from "../config/index.ts";
import type { Ledger } from "../paywall/index.ts";

/**
 * Why a token cannot be revoked, or undefined when it can: a service checks
 * revocations only when it is revocable (a read per request), so revoking
 * another's token would change nothing now, and would start refusing it if
 * the service were made revocable later. A token the ledger does not know is
 * revoked as asked (its service cannot be told).
 */
export async function notRevocable(ledger: Pick<Ledger, "lookupToken">, services: readonly ServiceConfig[], tokenId: string): Promise<string | undefined> {
  const service = (await ledger.lookupToken(tokenId)).challenge?.["service"];
  const sold = services.find((candidate) => candidate.name === service);
  return sold !== undefined && !sold.revocable ? `${sold.name} does not check revocations (set revocable = true on it): its tokens stay valid until they expire` : undefined;
}
