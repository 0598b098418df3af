import { microsPerCall } from "../bench/measure.ts";
import { serviceCaveats } from "../src/l402/caveats.ts";
const ids = serviceCaveats({ service: "svc", capabilities: ["read", "write"], validUntil: 1_800_003_600 });
const N = 100000;
const loop = (b: Uint8Array) => { let s = ""; for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!); return s; };
const spread = (b: Uint8Array) => String.fromCharCode(...b);
const td = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const tdl = new TextDecoder("latin1");
for (let r = 0; r < 3; r++) console.log(
  "apply", (await microsPerCall(() => { for (const b of ids) String.fromCharCode.apply(null, b as any); }, N)).toFixed(3),
  "loop", (await microsPerCall(() => { for (const b of ids) loop(b); }, N)).toFixed(3),
  "loop+flat", (await microsPerCall(() => { let n = 0; for (const b of ids) n += loop(b).indexOf("="); return n; }, N)).toFixed(3),
  "spread", (await microsPerCall(() => { for (const b of ids) spread(b); }, N)).toFixed(3),
  "td", (await microsPerCall(() => { for (const b of ids) td.decode(b); }, N)).toFixed(3),
  "latin1", (await microsPerCall(() => { for (const b of ids) tdl.decode(b); }, N)).toFixed(3),
);
