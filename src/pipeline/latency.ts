// Per-stage latency histograms (HDR, nanoseconds). Each stage keeps two: one
// since start (exported to Prometheus) and one for the current view window
// (reset by whoever shows it), so the live view shows what happens now.
import { build, type Histogram } from 'hdr-histogram-js';

/** The stages a frame passes, in order (docs/operations.md "Latency"). */
export const STAGES = ['feed', 'queue', 'engine', 'handoff', 'ack', 'recv_to_handoff', 'recv_to_ack'] as const;
export type Stage = (typeof STAGES)[number];

export const STAGE_HELP: Record<Stage, string> = {
  feed: 'exchange event time → receive (feed delay, includes clock skew to the venue)',
  queue: 'receive → the engine picks the frame up (input ring wait)',
  engine: 'engine processing per frame (normalize + books + signals; inline mode)',
  handoff: 'engine output → handed to the Kafka producer',
  ack: 'handed to the producer → acknowledged by Kafka',
  recv_to_handoff: 'receive → handed to the Kafka producer, per record (queue + engine + handoff together)',
  recv_to_ack: 'receive → acknowledged by Kafka, per record (includes records that went through the journal)',
};

const HOUR_NS = 3_600_000_000_000;

function histogram(): Histogram {
  // 3 significant digits over 1 ns … 1 h; values above are clamped, never lost.
  return build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HOUR_NS,
    numberOfSignificantValueDigits: 3,
    autoResize: false,
  });
}

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

export class StageLatency {
  readonly total = histogram();
  readonly window = histogram();

  record(ns: number): void {
    // Clock skew can make feed delay negative; count it as 0 rather than lose it.
    const v = ns < 1 ? 1 : ns > HOUR_NS ? HOUR_NS : Math.round(ns);
    this.total.recordValue(v);
    this.window.recordValue(v);
  }

  /** Records one value `times` times (a batch average spread over its frames). */
  recordMany(ns: number, times: number): void {
    const v = ns < 1 ? 1 : ns > HOUR_NS ? HOUR_NS : Math.round(ns);
    this.total.recordValueWithCount(v, times);
    this.window.recordValueWithCount(v, times);
  }
}

export function summarize(h: Histogram): LatencySummary {
  return {
    count: h.totalCount,
    p50: h.getValueAtPercentile(50),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
    max: h.maxValue,
  };
}

/** Starts every stage's histograms afresh (e.g. after a benchmark's warm-up; SIGUSR2 in `tickwire run`). */
export function resetStages(stages: Record<Stage, StageLatency>): void {
  for (const s of STAGES) {
    stages[s].total.reset();
    stages[s].window.reset();
  }
}

export function createStages(): Record<Stage, StageLatency> {
  return Object.fromEntries(STAGES.map((s) => [s, new StageLatency()])) as Record<Stage, StageLatency>;
}
