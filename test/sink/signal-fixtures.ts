// Real signal records for the sink and consumer tests: every venue fixture
// frame (test/support/fixtures.ts) through the native engine with books and
// signals on, decoded with the engine's SignalDecoder, as the pipeline does.
import { marketCode, venueCode } from '../../src/events';
import { Engine } from '../../src/engine/engine';
import { FRAME_RECORD_TYPE, RecordDecoder } from '../../src/engine/records';
import { SignalDecoder, type SignalName, type SignalRecord } from '../../src/engine/signals';
import { EngineStream } from '../../src/engine/stream';
import { loadFixtureCases } from '../support/fixtures';

export const SIGNAL_NAMES: readonly SignalName[] = [
  'bbo',
  'depth_imbalance',
  'trade_stats',
  'ema',
  'ofi',
  'bar',
  'nbbo',
  'basis',
];

/** A frame with the fixture's receive time and, on the ring header, its recvNs. */
export interface FixtureSignal {
  signal: SignalRecord;
  /** Ring header recvNs of the record. */
  recvNs: bigint;
}

let cached: FixtureSignal[] | undefined;

/** Every signal the native engine computes from the venue fixtures, in emission order. */
export function fixtureSignals(): FixtureSignal[] {
  if (cached !== undefined) return cached;
  // A few fixture records carry no usable local receive time; the engine clock needs one.
  const cases = loadFixtureCases().filter((c) => Number.isSafeInteger(c.recvTs));
  const engine = new Engine({ mode: 'inline', pipeline: 'normalize', signals: true });
  const out: FixtureSignal[] = [];
  try {
    const records = new RecordDecoder();
    const signals = new SignalDecoder(records);
    const stream = new EngineStream(engine, (record) => {
      if (record.type === 16) records.decode(record);
      const signal = signals.decode(record);
      if (signal !== null) {
        out.push({ signal, recvNs: (BigInt(record.recvNsHi >>> 0) << 32n) | BigInt(record.recvNsLo >>> 0) });
      }
    });
    const enc = new TextEncoder();
    for (const c of cases) {
      stream.push(
        {
          type: FRAME_RECORD_TYPE,
          venue: venueCode(c.venue),
          flags: marketCode(c.market),
          recvNs: BigInt(c.recvTs) * 1000n,
        },
        enc.encode(c.raw),
      );
    }
    stream.pump();
  } finally {
    engine.close();
  }
  cached = out;
  return out;
}

/** Up to `perKind` records of each kind, covering valid/invalid and consolidated ones first. */
export function sampleSignals(perKind: number): SignalRecord[] {
  const all = fixtureSignals().map((f) => f.signal);
  const out: SignalRecord[] = [];
  for (const kind of SIGNAL_NAMES) {
    const ofKind = all.filter((s) => s.signal === kind);
    // Interesting ones first: invalid, consolidated, then the rest in order.
    const ranked = [
      ...ofKind.filter((s) => !s.valid),
      ...ofKind.filter((s) => s.valid && s.venue === null),
      ...ofKind.filter((s) => s.valid && s.venue !== null),
    ];
    out.push(...ranked.slice(0, perKind));
  }
  return out;
}
