/** A price in millisatoshis as sats for people: "10", "1.5", "0.001". */
export const formatSats = (msat: bigint): string =>
  msat % 1000n === 0n ? String(msat / 1000n) : `${msat / 1000n}.${String(msat % 1000n).padStart(3, "0").replace(/0+$/, "")}`;
