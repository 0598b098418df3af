// light-bolt11-decoder is CommonJS: the bundle's `require("@scure/base")` keeps
// every export of the module it gets, about 10 KB minified of encodings nothing
// here uses. Aliased in wrangler.toml, every import of @scure/base in the
// deployed bundle gets this module instead, which names only what the code
// uses (the build fails if something asks for another), so the rest is left
// out. The path is the project's own copy (package.json's `overrides` gives
// light-bolt11-decoder that one too): through the package name, the alias
// would lead back here.
export { base64, base64nopad, base64url, base64urlnopad, bech32, hex, utf8 } from "../node_modules/@scure/base/index.js";
