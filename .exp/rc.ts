import { microsPerCall } from "../bench/measure.ts";
import { serviceCaveats, readCaveats, decodeCaveat, isValidServiceName } from "../src/l402/caveats.ts";
const ids = serviceCaveats({ service: "svc", capabilities: ["read", "write"], validUntil: 1_800_003_600 });
const N = 50000;
const strs = ids.map((b) => new TextDecoder().decode(b));
for (let r = 0; r < 3; r++) console.log(
  "read", (await microsPerCall(() => readCaveats(ids), N)).toFixed(3),
  "decode", (await microsPerCall(() => { for (const b of ids) decodeCaveat(b); }, N)).toFixed(3),
  "fromCharCode", (await microsPerCall(() => { for (const b of ids) String.fromCharCode.apply(null, b as any); }, N)).toFixed(3),
  "svcparse", (await microsPerCall(() => { const s = new Set<string>(); for (const e of "svc:0".split(",")) { const c = e.lastIndexOf(":"); const n = e.slice(0, c); if (isValidServiceName(n)) s.add(n); } return s; }, N)).toFixed(3),
  "caps", (await microsPerCall(() => { const s = new Set<string>(); for (const c of "read,write".split(",")) s.add(c.trim()); return s; }, N)).toFixed(3),
  "map", (await microsPerCall(() => { const m = new Map(); m.set("services", 1); m.set("svc_capabilities", 2); m.set("svc_valid_until", 3); return m; }, N)).toFixed(3),
);
