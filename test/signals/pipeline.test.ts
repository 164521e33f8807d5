// Differential test of the whole signal path: raw frames through the native
// engine (normalize → L2 books → signals, `new Engine({ pipeline: 'normalize',
// books: true, signals: true })`) against the TypeScript reference pipeline
// (src/reference/pipeline.ts). Same records, same order; numbers equal to a
// relative 1e-9. Streams: every venue's recorded fixtures, the recorded book
// sequences (and each with one delta dropped), and simulator streams of every
// venue with and without dropped deltas and the resyncs that follow.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { marketCode, venueCode, type VenueId } from '../../src/events';
import { Engine } from '../../src/engine/engine';
import { FRAME_RECORD_TYPE, RecordDecoder } from '../../src/engine/records';
import { SignalDecoder, type SignalRecord } from '../../src/engine/signals';
import { EngineStream } from '../../src/engine/stream';
import { ReferencePipeline } from '../../src/reference/pipeline';
import type { SignalConfig } from '../../src/reference/signals/engine';
import { DEFAULT_RECV_TS, loadFixtureCases } from '../support/fixtures';
import { isBookDelta, SEQUENCE_FILES, sequenceStreams, simulate, type StreamFrame } from './streams';

const encoder = new TextEncoder();

function runNative(frames: readonly StreamFrame[], config?: Partial<SignalConfig>): SignalRecord[] {
  const engine = new Engine({
    mode: 'inline',
    pipeline: 'normalize',
    books: true,
    signals: true,
    signalConfig: config,
    inputCapacity: 1 << 24,
    outputCapacity: 1 << 24,
  });
  const records = new RecordDecoder();
  const signals = new SignalDecoder(records);
  const out: SignalRecord[] = [];
  const stream = new EngineStream(engine, (record) => {
    if (record.type === 16) records.decode(record);
    const s = signals.decode(record);
    if (s) out.push(s);
  });
  try {
    for (const f of frames) {
      stream.push(
        {
          type: FRAME_RECORD_TYPE,
          venue: venueCode(f.venue),
          flags: marketCode(f.market),
          recvNs: BigInt(f.recvTs) * 1000n,
        },
        encoder.encode(f.raw),
      );
    }
    stream.pump();
  } finally {
    engine.close();
  }
  return out;
}

function runReference(frames: readonly StreamFrame[], config?: Partial<SignalConfig>): SignalRecord[] {
  const pipeline = new ReferencePipeline({ signalConfig: config });
  return frames.flatMap((f) => pipeline.push(f.venue, encoder.encode(f.raw), f.recvTs, f.market));
}

const describeRecord = (r: SignalRecord | undefined): string =>
  r === undefined ? 'nothing' : JSON.stringify(r).slice(0, 400);

function sameRecords(native: SignalRecord[], reference: SignalRecord[], where: string): void {
  const n = Math.min(native.length, reference.length);
  for (let i = 0; i < n; i++) {
    const a = native[i]! as unknown as Record<string, unknown>;
    const b = reference[i]! as unknown as Record<string, unknown>;
    const context = `${where}: record ${i}\n  native    ${describeRecord(native[i])}\n  reference ${describeRecord(reference[i])}`;
    // Same fields in the same order: `tickwire signals` prints them as JSON lines.
    assert.deepEqual(Object.keys(a), Object.keys(b), `${context}\n  fields differ`);
    for (const k of Object.keys(b)) {
      const x = a[k];
      const y = b[k];
      if (typeof x === 'number' && typeof y === 'number') {
        const tol = 1e-9 * Math.max(Math.abs(x), Math.abs(y));
        assert.ok(x === y || Math.abs(x - y) <= tol, `${context}\n  ${k}: native ${x}, reference ${y}`);
      } else {
        assert.equal(x, y, `${context}\n  ${k}`);
      }
    }
  }
  assert.equal(
    native.length,
    reference.length,
    `${where}: record count; first extra: native ${describeRecord(native[n])}, reference ${describeRecord(reference[n])}`,
  );
}

function kinds(records: readonly SignalRecord[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of records) m.set(r.signal, (m.get(r.signal) ?? 0) + 1);
  return m;
}

const totals = { streams: 0, frames: 0, records: 0 };

function check(frames: StreamFrame[], where: string, config?: Partial<SignalConfig>): SignalRecord[] {
  const native = runNative(frames, config);
  const reference = runReference(frames, config);
  sameRecords(native, reference, where);
  totals.streams++;
  totals.frames += frames.length;
  totals.records += native.length;
  return native;
}

describe('native engine vs TS reference pipeline: signal records from raw frames', () => {
  it('every venue fixture file, and each venue folder as one stream', () => {
    const cases = loadFixtureCases();
    const byFile = new Map<string, StreamFrame[]>();
    const byVenue = new Map<VenueId, StreamFrame[]>();
    for (const c of cases) {
      // A few records give local_recv_ts in a form the harness does not read (NaN): use its default.
      const recvTs = Number.isSafeInteger(c.recvTs) ? c.recvTs : DEFAULT_RECV_TS;
      const f: StreamFrame = { venue: c.venue, market: c.market, raw: c.raw, recvTs };
      byFile.set(c.file, [...(byFile.get(c.file) ?? []), f]);
      byVenue.set(c.venue, [...(byVenue.get(c.venue) ?? []), f]);
    }
    for (const [file, frames] of byFile) check(frames, file);
    const all: SignalRecord[] = [];
    for (const [venue, frames] of byVenue) all.push(...check(frames, `all ${venue} fixtures`));
    const k = kinds(all);
    for (const kind of ['bbo', 'depth_imbalance', 'trade_stats', 'ema']) assert.ok(k.has(kind), `no ${kind} records`);
  });

  for (const [venue, file] of SEQUENCE_FILES) {
    it(`${file}: every group, then every group with each delta dropped in turn`, () => {
      let records = 0;
      for (const { group, frames } of sequenceStreams(venue, file)) {
        records += check(frames, `${file} ${group}`).length;
        frames.forEach((f, i) => {
          if (isBookDelta(f))
            check(
              frames.filter((_, j) => j !== i),
              `${file} ${group} without frame ${i}`,
            );
        });
      }
      assert.ok(records > 0, 'the sequences gave signals');
    });
  }

  const VENUES: VenueId[] = ['binance', 'binance-futures', 'coinbase', 'coinbase-advanced', 'kraken', 'bybit', 'okx'];
  for (const venue of VENUES) {
    it(`simulator ${venue}: a clean stream and one with dropped deltas and resyncs`, () => {
      const base = { venues: [venue], symbols: ['BTC-USDT', 'BTC-USDT-PERP'], steps: 3000, rate: 500 };
      const clean = simulate({ ...base, seed: 7 });
      const got = check(clean, `simulator ${venue} clean`);
      const k = kinds(got);
      for (const kind of ['bbo', 'depth_imbalance', 'ofi', 'trade_stats', 'bar'])
        assert.ok(k.has(kind), `simulator ${venue}: no ${kind} records (${[...k.keys()].join(', ')})`);
      const lossy = simulate({ ...base, seed: 8, dropDeltaEvery: 97, resyncAfterSteps: 25 });
      const lossyGot = check(lossy, `simulator ${venue} with drops`);
      // Where a venue's feed reveals a lost delta (sequence or checksum), the book resyncs: invalid quotes, then valid again.
      if (venue !== 'coinbase' && venue !== 'coinbase-advanced') {
        const invalid = lossyGot.findIndex((r) => r.signal === 'depth_imbalance' && !r.valid);
        assert.ok(invalid >= 0, `simulator ${venue}: no invalid book after dropped deltas`);
        assert.ok(
          lossyGot.slice(invalid).some((r) => r.signal === 'depth_imbalance' && r.valid),
          `simulator ${venue}: the book never resynced`,
        );
      }
      // Revised bars follow the same rules in both.
      check(lossy, `simulator ${venue} with drops, revise`, { latePolicy: 'revise', barIntervalsUs: [250_000] });
    });
  }

  it('simulator, four venues at once: nbbo and basis across venues, with drops', () => {
    const opts = {
      venues: ['binance', 'binance-futures', 'bybit', 'okx'] as VenueId[],
      symbols: ['BTC-USDT', 'BTC-USDT-PERP'],
      steps: 6000,
      rate: 1000,
    };
    const got = check(simulate({ ...opts, seed: 11 }), 'four venues clean');
    const k = kinds(got);
    for (const kind of ['nbbo', 'basis']) assert.ok(k.has(kind), `no ${kind} records`);
    check(simulate({ ...opts, seed: 12, dropDeltaEvery: 151 }), 'four venues with drops');
  });

  it('covered enough', () => {
    assert.ok(totals.streams > 50 && totals.records > 10_000, JSON.stringify(totals));
    process.stdout.write(`# pipeline differential: ${JSON.stringify(totals)}\n`);
  });
});

describe('native engine vs TS reference pipeline: unusual level text', () => {
  const bybit = (type: string, u: number, b: string[][], a: string[][]): StreamFrame => ({
    venue: 'bybit',
    market: 'spot',
    raw: JSON.stringify({
      topic: 'orderbook.50.BTCUSDT',
      type,
      ts: 1786310819053 + u,
      data: { s: 'BTCUSDT', b, a, u, seq: u },
      cts: 1786310819050 + u,
    }),
    recvTs: 1_786_310_819_053_000 + u * 1000,
  });
  it('exponents, leading points, more than 18 decimals (bad_level) and int64 overflow', () => {
    const frames = [
      bybit(
        'snapshot',
        1,
        [
          ['100.5', '1e1'],
          ['.5', '2'],
        ],
        [
          ['101', '3.5E-1'],
          ['1.02e2', '4'],
        ],
      ),
      bybit('delta', 2, [['100.50', '0.25']], [['101', '0']]),
      // 19 decimals: the native book cannot hold it; the book resyncs.
      bybit('delta', 3, [['100.4', '0.0000000000000000001']], []),
      bybit('delta', 4, [['100.4', '1']], []),
      bybit('snapshot', 5, [['100', '1']], [['101', '1']]),
      // Units beyond int64 at the book's scale.
      bybit('delta', 6, [['99.123456789', '1']], [['10000000000', '1']]),
      bybit(
        'snapshot',
        7,
        [
          ['100', '1'],
          ['99', '2'],
        ],
        [
          ['101', '1'],
          ['102', '2'],
        ],
      ),
      bybit('delta', 8, [['100', '0']], []),
    ];
    check(frames, 'bybit hostile levels');
  });
});
