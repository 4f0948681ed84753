// vsr's own metrics, made once from a Temporal MetricMeter: they leave through the SDK runtime's Prometheus
// exporter beside the SDK's own (temporal_*) metrics, on the one /metrics endpoint.
import type { MetricCounter, MetricHistogram, MetricMeter } from '@temporalio/common';
import { METRICS } from '../../workflows/metrics';

export class VsrMetrics {
  readonly providerCalls: MetricCounter;
  readonly providerErrors: MetricCounter;
  readonly providerThrottled: MetricCounter;
  readonly providerCallDuration: MetricHistogram;
  readonly billableJobs: MetricCounter;
  readonly uploadedBytes: MetricCounter;
  readonly downloadedBytes: MetricCounter;

  constructor(meter: MetricMeter) {
    this.providerCalls = meter.createCounter(METRICS.providerCalls, undefined, 'Calls to the provider');
    this.providerErrors = meter.createCounter(METRICS.providerErrors, undefined, 'Failed calls to the provider, by code');
    this.providerThrottled = meter.createCounter(METRICS.providerThrottled, undefined, 'Throttling answers from the provider');
    this.providerCallDuration = meter.createHistogram(METRICS.providerCallDuration, 'float', 's', 'Provider call latency');
    this.billableJobs = meter.createCounter(METRICS.billableJobs, undefined, 'Jobs the provider accepted (billed)');
    this.uploadedBytes = meter.createCounter(METRICS.uploadedBytes, 'By', 'Bytes written to object storage');
    this.downloadedBytes = meter.createCounter(METRICS.downloadedBytes, 'By', 'Bytes of results downloaded');
  }
}
