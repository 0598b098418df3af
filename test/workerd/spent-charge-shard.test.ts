import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { SpentChargeShard } from "../../src/worker/spent-charge-shard.ts";

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

  it("the call that spent a hash, sent again under its key (its answer lost), is answered as the first spend; any other call is refused", async () => {
    const stub = env.L402_SPENT?.get(env.L402_SPENT.idFromName(`again-${crypto.randomUUID()}`));
    if (stub === undefined) throw new Error("L402_SPENT is not bound");
    const until = Math.floor(Date.now() / 1000) + 600;
    expect(await stub.spend("cc".repeat(32), until, "k1")).toBe(true);
    expect(await stub.spend("cc".repeat(32), until, "k1")).toBe(true);
    expect(await stub.spend("cc".repeat(32), until, "k2")).toBe(false);
    // A Worker of the version before sends no key: refused as any other call.
    expect(await stub.spend("cc".repeat(32), until)).toBe(false);
  });

  it("a shard made before calls had keys gains the column, and its rows are answered as spent to every call", async () => {
    const stub = env.L402_SPENT?.get(env.L402_SPENT.idFromName(`old-${crypto.randomUUID()}`));
    if (stub === undefined) throw new Error("L402_SPENT is not bound");
    const until = Math.floor(Date.now() / 1000) + 600;
    await runInDurableObject(stub, (_object, state) => {
      state.storage.sql.exec("DROP TABLE spent");
      state.storage.sql.exec("CREATE TABLE spent (payment_hash TEXT PRIMARY KEY, until INTEGER NOT NULL)");
      state.storage.sql.exec("INSERT INTO spent (payment_hash, until) VALUES (?, ?)", "dd".repeat(32), until);
    });
    await runInDurableObject(stub, async (_object, state) => {
      const shard = new SpentChargeShard(state, env as Env);
      expect(await shard.spend("dd".repeat(32), until, "k1")).toBe(false);
      expect(await shard.spend("ee".repeat(32), until, "k1")).toBe(true);
      expect(await shard.spend("ee".repeat(32), until, "k1")).toBe(true);
      // Made again on the migrated table: nothing to add.
      expect(await new SpentChargeShard(state, env as Env).spend("ee".repeat(32), until, "k2")).toBe(false);
    });
  });
});
