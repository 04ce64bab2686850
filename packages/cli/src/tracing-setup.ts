/**
 * OpenTelemetry for `agentfold serve`: when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, the Node SDK is registered with an OTLP/HTTP trace
 * exporter, so the server's spans (see @agentfold/server's tracing.ts) leave the process. The SDK
 * loads only then: without the variable nothing is imported and the spans are no-ops.
 *
 * Invariants: the libraries only ever use `@opentelemetry/api`; this command is the one place that
 * chooses an SDK. `shutdown` flushes the spans still batched, so a stopped server loses none.
 */

/** What `startTracing` returns: the endpoint spans go to, and how to flush and stop. */
export interface Tracing {
  url: string;
  shutdown(): Promise<void>;
}

/**
 * Starts the SDK when `env` names an OTLP endpoint; `undefined` when it does not.
 *
 * @example
 * const tracing = await startTracing(process.env);  // OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318
 * await tracing?.shutdown();
 */
export async function startTracing(env: NodeJS.ProcessEnv): Promise<Tracing | undefined> {
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  const url = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || (base ? `${base.replace(/\/+$/, "")}/v1/traces` : undefined);
  if (!url) return undefined;
  try {
    new URL(url);
  } catch {
    throw new Error(`OTEL_EXPORTER_OTLP_ENDPOINT must be a URL such as http://127.0.0.1:4318; got "${base ?? url}".`);
  }
  const [{ NodeSDK }, { OTLPTraceExporter }] = await Promise.all([
    import("@opentelemetry/sdk-node"),
    import("@opentelemetry/exporter-trace-otlp-http"),
  ]);
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME?.trim() || "agentfold",
    traceExporter: new OTLPTraceExporter({ url }),
    // Only agentfold's own spans: no automatic instrumentation of other libraries.
    instrumentations: [],
  });
  sdk.start();
  return { url, shutdown: () => sdk.shutdown() };
}
