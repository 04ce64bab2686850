/** `@agentfold/channels/testing`: conformance suites for channels and channel stores. */
export { runChannelConformance, type ChannelConformanceOptions, type ChannelDriver } from "./channel-conformance.ts";
export { runChannelStoreConformance } from "@agentfold/stores/testing";
