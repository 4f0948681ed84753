// OpenTelemetry traces through Temporal's interceptors: the client's start, the workflow and its activities
// share one trace per video. Off unless an OTLP endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT and the
// other standard OTEL_* variables, read by the exporter itself); tests hand in an in-memory exporter instead.
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { Resource } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import type { OpenTelemetryWorkflowExporter } from '@temporalio/interceptors-opentelemetry/lib/workflow/definitions';

export interface Tracing {
  readonly provider: BasicTracerProvider;
  readonly resource: Resource;
  readonly spanProcessor: SpanProcessor;
  /** Flushes what is buffered and stops exporting. */
  shutdown(): Promise<void>;
}

let active: Tracing | undefined;

/**
 * Registers the process-wide tracer provider (context propagation included) once. `exporter`: where spans go
 * (default: OTLP over HTTP/protobuf, batched).
 */
export function startTracing(o: { serviceName: string; exporter?: SpanExporter }): Tracing {
  if (active) return active;
  const resource = new Resource({ 'service.name': o.serviceName });
  // An in-memory exporter (tests) gets every span at once; the network exporter gets batches.
  const spanProcessor = o.exporter ? new SimpleSpanProcessor(o.exporter) : new BatchSpanProcessor(new OTLPTraceExporter());
  const provider = new BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register({ contextManager: new AsyncLocalStorageContextManager().enable() });
  active = {
    provider,
    resource,
    spanProcessor,
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
      active = undefined;
    },
  };
  return active;
}

/** For every Client vsr makes: its start (and signal, query...) calls become spans whose context travels in headers. */
export function tracingClientInterceptors(): WorkflowClientInterceptor[] {
  return active ? [new OpenTelemetryWorkflowClientInterceptor()] : [];
}

export function tracingActivityInterceptors(): ActivityInterceptorsFactory[] {
  if (!active) return [];
  return [
    (ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) }),
  ];
}

/**
 * The sink the bundled workflow interceptors send their spans to. Always registered (the bundle always has
 * them); it drops spans while tracing is off.
 */
export function tracingSinks(): InjectedSinks<{ exporter: OpenTelemetryWorkflowExporter }> {
  if (active) return { exporter: makeWorkflowExporter(active.spanProcessor, active.resource) };
  return { exporter: { export: { fn: () => undefined } } };
}
