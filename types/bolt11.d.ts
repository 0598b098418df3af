/** The part of the `bolt11` npm package (an independent decoder, untyped) the tests use. */
declare module "bolt11" {
  interface Network {
    bech32: string;
    pubKeyHash: number;
    scriptHash: number;
    validWitnessVersions: number[];
  }
  interface Decoded {
    complete: boolean;
    payeeNodeKey: string;
    millisatoshis: string | null;
    signature: string;
  }
  const bolt11: { decode(invoice: string, network?: Network): Decoded };
  export default bolt11;
}
