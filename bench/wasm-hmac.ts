import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * A WebAssembly SHA-256 for the benchmark: hash-wasm's (C compiled to WASM),
 * taken out of the package it is inlined in. workerd, like Cloudflare, refuses
 * to compile WASM at run time, so a Worker could only use it as a module bundled
 * at deploy time: the benchmark hands it to workerd as such a module.
 */
export function sha256Wasm(): Uint8Array<ArrayBuffer> {
  const source = readFileSync(fileURLToPath(new URL("../node_modules/hash-wasm/dist/index.esm.js", import.meta.url)), "utf8");
  const inlined = /var name\$(\w+) = "sha256";\nvar data\$\1 = "([^"]+)"/.exec(source)?.[2];
  if (inlined === undefined) throw new Error("hash-wasm's sha256 module was not found");
  return new Uint8Array(Buffer.from(inlined, "base64"));
}
