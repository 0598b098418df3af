/** A .wasm file imported by the benchmark Worker: workerd hands it over compiled. */
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
