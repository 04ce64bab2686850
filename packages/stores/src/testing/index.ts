/** `@agentfold/stores/testing`: the conformance suite every `ChannelStore` runs. Never imported by production code. */
export { runChannelStoreConformance, type ChannelStoreConformanceOptions } from "./channel-store-conformance.ts";
