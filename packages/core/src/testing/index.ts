// Store conformance
export { runThreadStoreConformance, type ThreadStoreConformanceOptions } from "./store-conformance.ts";
