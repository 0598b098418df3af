import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";

describe("SpentChargeShard (the spent set's Durable Objects)", () => {
  it("spends a hash once, keeps it while its challenge may be presented, and sweeps it an hour after", async () => {
    const stub = env.L402_SPENT?.get(env.L402_SPENT.idFromName(`sweep-${crypto.randomUUID()}`));
    if (stub === undefined) throw new Error("L402_SPENT is not bound");
    const now = Math.floor(Date.now() / 1000);
    expect(await stub.spend("aa".repeat(32), now - 3601)).toBe(true);
    expect(await stub.spend("aa".repeat(32), now - 3601)).toBe(false);
    expect(await stub.spend("bb".repeat(32), now + 600)).toBe(true);
    expect(await runInDurableObject(stub, (_object, state) => state.storage.getAlarm())).not.toBeNull();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    // The expired one is gone (a credential naming it is refused as expired before it gets here); the live one stays.
    const rows = await runInDurableObject(stub, (_object, state) => state.storage.sql.exec<{ payment_hash: string }>("SELECT payment_hash FROM spent").toArray());
    expect(rows.map((row) => row.payment_hash)).toEqual(["bb".repeat(32)]);
    expect(await stub.spend("bb".repeat(32), now + 600)).toBe(false);
    expect(await runInDurableObject(stub, (_object, state) => state.storage.getAlarm())).not.toBeNull();
  });
});
