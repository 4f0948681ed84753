// vsr's metric names, in one place: the workflow interceptor, the activity interceptor and the provider
// decorators (workers/telemetry/) record under these, and docs/deploy.md lists them. Names carry their unit.
export const METRICS = {
  /** Workflow runs started (not continued-as-new), by workflowType (the SDK adds it, with namespace and taskQueue). */
  jobsStarted: 'vsr_jobs_started_total',
  jobsSucceeded: 'vsr_jobs_succeeded_total',
  /** By workflowType and errorType (the innermost ApplicationFailure type, or `Cancelled`). */
  jobsFailed: 'vsr_jobs_failed_total',
  /** Time a successful video spent in each stage (retries, back-off and polling timers included), by stage. */
  stageDuration: 'vsr_stage_duration_seconds',
  /** Calls to the provider, by service (viapi|oss) and action. */
  providerCalls: 'vsr_provider_calls_total',
  /** Failed provider calls, by service, action and code (the provider's error code or the network error). */
  providerErrors: 'vsr_provider_errors_total',
  /** Throttling answers from the provider, by service and action. */
  providerThrottled: 'vsr_provider_throttled_total',
  providerCallDuration: 'vsr_provider_call_duration_seconds',
  /** Jobs the provider made for vsr (answered with a job id, or found by the lane after a lost answer): what the account is billed for. */
  billableJobs: 'vsr_billable_jobs_total',
  /** From the submit lane receiving a request to its reply going out (queue, pacing, reconciling), by lane. */
  laneWait: 'vsr_lane_wait_seconds',
  /** The lane's SuperResolveVideo attempts, by lane and outcome (accepted, refused, busy, ambiguous: a reconcile follows). */
  laneAttempts: 'vsr_lane_submit_attempts_total',
  /** The lane's replies, by lane and outcome (accepted, adopted after a reconcile, or the error type). */
  laneReplies: 'vsr_lane_replies_total',
  /** Bytes written to object storage (source uploads, OSS destinations). */
  uploadedBytes: 'vsr_uploaded_bytes_total',
  /** Bytes of results downloaded from the provider, counted when a download completes. */
  downloadedBytes: 'vsr_downloaded_bytes_total',
} as const;

/** Histogram buckets, in seconds (Prometheus' convention). */
export const HISTOGRAM_BUCKETS: Record<string, number[]> = {
  [METRICS.stageDuration]: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600],
  [METRICS.laneWait]: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600],
  [METRICS.providerCallDuration]: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
};
