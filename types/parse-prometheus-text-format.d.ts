/** The part of the `parse-prometheus-text-format` npm package (untyped; prom2json's output shape) the metrics tests use. */
declare module "parse-prometheus-text-format" {
  interface MetricFamily {
    readonly name: string;
    readonly help: string;
    /** Upper case: COUNTER, GAUGE, SUMMARY, HISTOGRAM, UNTYPED. */
    readonly type: string;
    readonly metrics: readonly { readonly labels?: Readonly<Record<string, string>>; readonly value: string }[];
  }
  export default function parsePrometheusTextFormat(text: string): MetricFamily[];
}
