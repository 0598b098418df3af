import type { HmacSha256 } from "../../src/macaroon/index.ts";

interface Exports {
  readonly memory: WebAssembly.Memory;
  readonly STATE_SIZE: WebAssembly.Global;
  Hash_GetBuffer(): number;
  Hash_GetState(): number;
  Hash_Init(bits: number): void;
  Hash_Update(length: number): void;
  Hash_Final(padding: number): void;
}

/**
 * HMAC-SHA256 on hash-wasm's WebAssembly SHA-256 (a module bundled with the
 * Worker), with pads hashed once per key kept and the state copied in and out,
 * as fast-hmac.ts does in JavaScript: the WebAssembly option of the benchmark.
 */
export function wasmHmac(module: WebAssembly.Module): HmacSha256 {
  const wasm = new WebAssembly.Instance(module, {}).exports as unknown as Exports;
  const buffer = wasm.Hash_GetBuffer();
  const stateAt = wasm.Hash_GetState();
  const stateSize = new DataView(wasm.memory.buffer).getUint32(wasm.STATE_SIZE.value as number, true);
  const memory = () => new Uint8Array(wasm.memory.buffer);
  const kept = new WeakMap<Uint8Array, { inner: Uint8Array; outer: Uint8Array }>();

  const padsOf = (key: Uint8Array) => {
    let pads = kept.get(key);
    if (pads !== undefined) return pads;
    const block = new Uint8Array(64);
    block.set(key.length > 64 ? digest(key) : key);
    const stateAfter = (xor: number) => {
      wasm.Hash_Init(256);
      memory().set(block.map((byte) => byte ^ xor), buffer);
      wasm.Hash_Update(64);
      return memory().slice(stateAt, stateAt + stateSize);
    };
    pads = { inner: stateAfter(0x36), outer: stateAfter(0x5c) };
    kept.set(key, pads);
    return pads;
  };
  const digest = (message: Uint8Array) => {
    wasm.Hash_Init(256);
    memory().set(message, buffer);
    wasm.Hash_Update(message.length);
    wasm.Hash_Final(0);
    return memory().slice(buffer, buffer + 32);
  };
  return (key, message) => {
    const pads = padsOf(key);
    const view = memory();
    view.set(pads.inner, stateAt);
    view.set(message, buffer);
    wasm.Hash_Update(message.length);
    wasm.Hash_Final(0);
    view.copyWithin(buffer + 64, buffer, buffer + 32);
    view.set(pads.outer, stateAt);
    view.copyWithin(buffer, buffer + 64, buffer + 96);
    wasm.Hash_Update(32);
    wasm.Hash_Final(0);
    return view.slice(buffer, buffer + 32);
  };
}
