/** The node:crypto call the benchmark Worker compares against; workerd provides it under the nodejs_compat flag. */
declare module "node:crypto" {
  export function createHmac(algorithm: "sha256", key: Uint8Array): {
    update(data: Uint8Array): { digest(): Uint8Array };
  };
}
