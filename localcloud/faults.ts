// Fault injection for the stand-in: set at start (options) or at run time (admin endpoint / in-process).
/** The failed ends a job can be forced into. */
export type FailedOutcome = 'PROCESS_FAILED' | 'TIMEOUT_FAILED' | 'LIMIT_RETRY_FAILED';

export interface Faults {
  /** Share (0..1) of VIAPI calls answered with a 503 InternalError before doing anything. */
  viapiServerErrorRate: number;
  /** Share (0..1) of VIAPI calls answered with Throttling.User. */
  viapiThrottleRate: number;
  /** Share (0..1) of OSS requests answered with a 500 InternalError before doing anything. */
  ossServerErrorRate: number;
  /** Outcomes forced on the next accepted jobs, one consumed per job, in order. */
  nextJobOutcomes: FailedOutcome[];
  /** Extra milliseconds (on the stand-in's clock) each job spends PROCESSING: slow jobs. */
  jobDelayMs: number;
  /** Milliseconds (on the stand-in's clock) each new job waits QUEUING before it may start: a busy provider. */
  queueDelayMs: number;
  /** Lifetime of result URLs in seconds (the provider's is 1800); lower it to make them expire early. */
  resultUrlTtlSeconds: number;
  /** Number of upcoming result downloads (GETs from the results bucket) to cut off mid-stream. */
  cutDownloads: number;
  /** Bytes sent before a cut download is severed. */
  cutDownloadAfterBytes: number;
  /** Number of upcoming result URLs handed out already expired (as if the caller came back too late). */
  expiredResultUrls: number;
  /** Throttle for OSS object bodies in both directions, bytes per second (0 = unlimited): slow transfers. */
  ossBytesPerSecond: number;
  /** Number of upcoming submits that are accepted (and billed) but whose response never arrives. */
  dropSubmitResponses: number;
  /** Share (0..1) of accepted (and billed) submits whose response never arrives. */
  dropSubmitResponseRate: number;
}

export function defaultFaults(): Faults {
  return {
    viapiServerErrorRate: 0,
    viapiThrottleRate: 0,
    ossServerErrorRate: 0,
    nextJobOutcomes: [],
    jobDelayMs: 0,
    queueDelayMs: 0,
    resultUrlTtlSeconds: 1800,
    cutDownloads: 0,
    cutDownloadAfterBytes: 64 * 1024,
    expiredResultUrls: 0,
    ossBytesPerSecond: 0,
    dropSubmitResponses: 0,
    dropSubmitResponseRate: 0,
  };
}

const OUTCOMES: readonly FailedOutcome[] = ['PROCESS_FAILED', 'TIMEOUT_FAILED', 'LIMIT_RETRY_FAILED'];

/** Merges a partial update (from JSON) into the live faults, rejecting unknown fields and bad values. */
export function applyFaults(target: Faults, patch: Record<string, unknown>): Faults {
  const defaults = defaultFaults();
  for (const [key, value] of Object.entries(patch)) {
    if (!(key in defaults)) throw new Error(`unknown fault ${JSON.stringify(key)}; known: ${Object.keys(defaults).join(', ')}`);
    const k = key as keyof Faults;
    if (k === 'nextJobOutcomes') {
      if (!Array.isArray(value) || value.some((v) => !OUTCOMES.includes(v as FailedOutcome))) {
        throw new Error(`fault nextJobOutcomes must be a list of ${OUTCOMES.join(' | ')}`);
      }
      target.nextJobOutcomes = value as FailedOutcome[];
    } else {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new Error(`fault ${key} must be a number >= 0`);
      if (key.endsWith('Rate') && value > 1) throw new Error(`fault ${key} is a share and must be <= 1`);
      target[k] = value;
    }
  }
  return target;
}

/** True with probability `rate`. */
export function roll(rate: number): boolean {
  return rate > 0 && Math.random() < rate;
}
