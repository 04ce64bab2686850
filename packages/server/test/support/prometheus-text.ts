/** The Prometheus text format parsed by parse-prometheus-text-format (prom2json's shape), typed for the tests. */
import { createRequire } from "node:module";

export interface ParsedFamily {
  name: string;
  help: string;
  type: "COUNTER" | "GAUGE" | "HISTOGRAM" | "SUMMARY" | "UNTYPED";
  metrics: Array<{ labels?: Record<string, string>; value?: string; count?: string; sum?: string; buckets?: Record<string, string> }>;
}

const parse = createRequire(import.meta.url)("parse-prometheus-text-format") as (text: string) => ParsedFamily[];

export function parsePrometheusText(text: string): Map<string, ParsedFamily> {
  return new Map(parse(text).map((family) => [family.name, family]));
}

/** The sample of `family` whose labels include `labels`. */
export function sample(families: Map<string, ParsedFamily>, name: string, labels: Record<string, string> = {}) {
  const family = families.get(name);
  return family?.metrics.find((metric) => Object.entries(labels).every(([key, value]) => metric.labels?.[key] === value));
}
