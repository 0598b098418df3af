// workerd has URLPattern built in: a Worker's bundle carries no polyfill.
export const URLPattern = globalThis.URLPattern;
