// URLPattern for Node, Deno, Bun and browsers: the platform's own where it has one
// (Node 24+, Deno, Chromium), else the polyfill (Node 20 and 22), so that no user
// has to load one. Workers take url-pattern.workerd.js instead (package.json "imports").
import { URLPattern as Polyfill } from "urlpattern-polyfill/urlpattern";

export const URLPattern = globalThis.URLPattern ?? Polyfill;
