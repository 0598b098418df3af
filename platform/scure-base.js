// light-bolt11-decoder is CommonJS: the bundle's `require("@scure/base")` keeps
// every export of the module it gets (its own 1.1 copy: about 10 KB minified of
// encodings nothing here uses). Aliased in wrangler.toml, every import of
// @scure/base in the deployed bundle gets this module instead, which names only
// what the code uses (an `import` of another fails the build; light-bolt11-decoder's
// `require` of one, beyond its bech32, hex and utf8, would get undefined), so the
// rest is left out. The path is the project's own copy (2.x), which reads an
// invoice's description as strict UTF-8 (1.1 put U+FFFD for bad bytes): the
// Worker reads only its own node's invoices, whose memo is the operator's text.
// Through the package name, the alias would lead back here.
export { base64, base64nopad, base64url, base64urlnopad, bech32, hex, utf8 } from "../node_modules/@scure/base/index.js";
