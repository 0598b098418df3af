/**
 * `#url-pattern` (package.json "imports"): WHATWG URLPattern on every runtime,
 * typed as far as l402-edge uses it, so its types need no DOM or Workers lib.
 */
export interface UrlPatternInit {
  readonly hostname?: string;
  readonly pathname?: string;
}

export declare const URLPattern: new (init: UrlPatternInit, options?: { readonly ignoreCase?: boolean }) => {
  readonly hostname: string;
  readonly pathname: string;
  test(input: UrlPatternInit): boolean;
  exec(input: UrlPatternInit): { readonly pathname: { readonly groups: Readonly<Record<string, string | undefined>> } } | null;
};
