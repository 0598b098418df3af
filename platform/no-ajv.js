// The MCP SDK's server imports Ajv for a default it never uses here: the
// endpoint gives it the Workers-safe validator (@cfworker/json-schema), and
// Ajv compiles schemas with `new Function`, which Workers forbid. Aliased in
// wrangler.toml so the deployed bundle leaves Ajv (and its formats) out.
export default class NoAjv {
  constructor() {
    throw new Error("Ajv is not in this Worker's bundle: pass a jsonSchemaValidator (@cfworker/json-schema)");
  }
}
