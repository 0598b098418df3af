/** The parts of the `macaroon` npm package (js-macaroon 3.x, untyped) the interop tests use. */
declare module "macaroon" {
  interface JsMacaroon {
    readonly identifier: Uint8Array;
    readonly signature: Uint8Array;
    readonly location: string;
    readonly caveats: { identifier: Uint8Array; location?: string; vid?: Uint8Array }[];
    addFirstPartyCaveat(caveat: string | Uint8Array): void;
    verify(rootKey: Uint8Array, check: (condition: string) => string | null, discharges?: JsMacaroon[]): void;
    exportBinary(): Uint8Array;
  }
  export function newMacaroon(params: {
    identifier: string | Uint8Array;
    rootKey: string | Uint8Array;
    location?: string;
    version?: number;
  }): JsMacaroon;
  export function importMacaroon(data: Uint8Array | string | object): JsMacaroon;
}
