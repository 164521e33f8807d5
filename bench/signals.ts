// The `signals` suite of bench/run.ts (`npm run bench -- --filter signals`):
// per signal kind (docs/signals.md), the native engine and the TypeScript
// reference signal engine side by side on the same generated input (seeded,
// so every run measures the same frames).
//
// The native engine has no per-kind switch, so each kind is isolated by
// configuration and by input:
// - trade kinds (trade_stats, ema, bar) on a stream of Binance trades, with
//   exactly one window / half-life / interval configured and the other two
//   lists empty; next to the same stream with signals off (baseline) and with
//   the signal stage on but no trade signal configured (its fixed cost).
// - quote kinds on Bybit 10-level deltas to a 200-level book (books on):
//   deltas that change the top on every frame (bbo, depth_imbalance, ofi and
//   the symbol's one-venue nbbo all fire together, as they do on a real top
//   change) and deltas that only touch levels 2–6 (depth_imbalance alone).
// - nbbo and basis on five venue quote feeds: three spot venues on BTC-USDT
//   and two perps, either on ETH-USDT-PERP (no pair: nbbo without basis) or
//   on BTC-USDT-PERP (paired: per-venue and consolidated basis as well).
//
// Native tasks time a whole frame (normalize [+ book] + signals), so a kind's
// cost is the difference to its baseline task on the same frames. The TS
// reference tasks replay, on a SignalEngine, the calls that ReferencePipeline
// makes for those frames (recorded once at setup: normalization and books
// stay outside the timing), so they time the signal work alone.
//
// Streams are replayed cyclically. Event time must not go backwards when a
// stream starts over (windows, EMAs and bars would see a jump of minutes into
// the past: every trade late, every bar dropped), so each start over gets a
// fresh engine, native and TS alike; the book's snapshot is the first frame
// of a book stream. A fresh native engine costs ~0.5 ms, once per cycle of
// 30,000–100,000 frames, in every native task of a group alike. At setup
// each task runs the start of its stream and its records are checked: the
// kinds it names are there, the others are not, and native and TS emit the
// same records (values to 1e-9).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { venueCode, type Market, type Side, type VenueId } from '../src/events';
import { Engine, type EngineOptions } from '../src/engine/engine';
import { RECORD_TYPES, RecordDecoder } from '../src/engine/records';
import { splitNs, type RecordView } from '../src/engine/ring';
import { SIGNAL_RECORD_TYPES, SignalDecoder, type SignalName, type SignalRecord } from '../src/engine/signals';
import { ReferencePipeline } from '../src/reference/pipeline';
import { SignalEngine, type SignalConfig } from '../src/reference/signals/engine';

const BATCH = 256;
const SEED = 0x5eed_0009;
// Cycle lengths: tens of ms of work per cycle in every task, against ~0.5 ms
// for a fresh native engine; the reference pipeline that records the TS
// calls at setup takes 15–70 µs a frame, which bounds them from above.
const TRADE_FRAMES = 100_000;
const BOOK_DELTAS = 30_000;
const QUOTE_FRAMES = 50_000;
/** Frames of each task checked at setup (40,000 trades: 80 s of event time, so the 60 s window is full). */
const CHECK_FRAMES = 40_000;
const T0_MS = 1_700_000_000_000;
const fixtures = join(__dirname, '..', '..', 'shared', 'fixtures', 'venues');
const encoder = new TextEncoder();
const KINDS = Object.keys(SIGNAL_RECORD_TYPES) as SignalName[];

// Structurally the Task and Suite of bench/run.ts.
export interface SignalsTask {
  name: string;
  opsPerCall: number;
  fn: () => void;
}
export interface SignalsSuite {
  name: string;
  tasks: () => SignalsTask[];
  cleanup?: () => void;
}

// ---- inputs ----------------------------------------------------------------

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A fixture frame parsed, as the template of generated frames (same fields, same order). */
function fixtureFrame(folder: string, file: string, index = 0): Record<string, unknown> {
  const lines = readFileSync(join(fixtures, folder, file), 'utf8')
    .split('\n')
    .filter(Boolean);
  return JSON.parse((JSON.parse(lines[index]!) as { raw: string }).raw) as Record<string, unknown>;
}

interface Frame {
  venue: VenueId;
  market: Market;
  text: string;
  recvUs: number;
}

/** Frames ready for the ring (bytes, header fields) and for ReferencePipeline.push. */
class FrameStream {
  readonly length: number;
  /** Views of one buffer that holds every frame. */
  readonly bytes: Uint8Array[];
  readonly venue: Uint8Array;
  readonly flags: Uint8Array;
  readonly recvHi: Uint32Array;
  readonly recvLo: Uint32Array;
  readonly frames: Omit<Frame, 'text'>[];

  constructor(frames: Frame[]) {
    this.length = frames.length;
    const all = new Uint8Array(frames.reduce((n, f) => n + f.text.length, 0)); // ASCII: a byte per char
    let at = 0;
    this.bytes = frames.map((f) => {
      const { written } = encoder.encodeInto(f.text, all.subarray(at));
      at += written;
      return all.subarray(at - written, at);
    });
    this.venue = Uint8Array.from(frames, (f) => venueCode(f.venue));
    this.flags = Uint8Array.from(frames, (f) => (f.market === 'perp' ? 1 : 0));
    this.recvHi = Uint32Array.from(frames, (f) => splitNs(BigInt(f.recvUs) * 1000n).hi);
    this.recvLo = Uint32Array.from(frames, (f) => splitNs(BigInt(f.recvUs) * 1000n).lo);
    this.frames = frames.map(({ venue, market, recvUs }) => ({ venue, market, recvUs }));
  }
}

/** Receive time: exchange time plus 0.2–2 ms, never going backwards (one connection). */
function receiver(rnd: () => number): (ms: number) => number {
  let last = 0;
  return (ms) => (last = Math.max(last, ms * 1000 + 200 + Math.floor(rnd() * 1800)));
}

/** Binance spot trades on BTCUSDT (the fixture's frame shape): a random walk, 0–4 ms apart, ~500 a second. */
function tradeStream(n: number, seed: number): FrameStream {
  const rnd = prng(seed);
  const recv = receiver(rnd);
  const template = fixtureFrame('binance-spot', 'trade.jsonl');
  let cents = 5_000_000;
  let ms = T0_MS;
  const frames: Frame[] = [];
  for (let i = 0; i < n; i++) {
    ms += Math.floor(rnd() * 5);
    cents = Math.max(100, cents + Math.round((rnd() - 0.5) * 200));
    const text = JSON.stringify({
      ...template,
      E: ms + Math.floor(rnd() * 3),
      s: 'BTCUSDT',
      t: 1_000_000 + i,
      p: (cents / 100).toFixed(2),
      q: ((1 + Math.floor(rnd() * 200_000)) / 100_000).toFixed(5),
      T: ms,
      m: rnd() < 0.5,
    });
    frames.push({ venue: 'binance', market: 'spot', text, recvUs: recv(ms) });
  }
  return new FrameStream(frames);
}

/**
 * A 200-level Bybit linear book (frame shape as bench/bybit-book.ts), then
 * `deltas` 10-level deltas 1–20 ms apart, each giving new quantities to the
 * levels of rank `firstRank` … `firstRank`+4 on both sides (0 = the top).
 *
 * `recordOn` is the same stream with the snapshot cut to its best 10 levels,
 * for recording the TS reference calls: the deltas never reach below rank 5,
 * so every top and 5-level depth, hence every signal call, is the same, and
 * the reference book (which sorts a side on every update) is 20× quicker.
 * check() proves it: the replayed calls give the native engine's records.
 */
function bybitStream(deltas: number, firstRank: number, seed: number): { stream: FrameStream; recordOn: FrameStream } {
  const rnd = prng(seed);
  const recv = receiver(rnd);
  const qty = () => ((1 + Math.floor(rnd() * 5000)) / 1000).toFixed(3);
  const bid = (rank: number) => `["${(50000 - 0.5 * rank).toFixed(2)}","${qty()}"]`;
  const ask = (rank: number) => `["${(50000.5 + 0.5 * rank).toFixed(2)}","${qty()}"]`;
  const ranks = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
  const frame = (type: string, u: number, cts: number, b: string[], a: string[]) =>
    `{"topic":"orderbook.200.BTCUSDT","type":"${type}","ts":${cts + 3},"data":{"s":"BTCUSDT","b":[${b.join(',')}],"a":[${a.join(',')}],"u":${u},"seq":${u}},"cts":${cts}}`;
  let ms = T0_MS;
  const bids = ranks(0, 200).map(bid);
  const asks = ranks(0, 200).map(ask);
  const recvUs = recv(ms);
  const snapshot = (levels: number): Frame => ({
    venue: 'bybit',
    market: 'perp',
    text: frame('snapshot', 1, ms, bids.slice(0, levels), asks.slice(0, levels)),
    recvUs,
  });
  const full = snapshot(200);
  const cut = snapshot(10);
  const frames: Frame[] = [];
  for (let d = 0; d < deltas; d++) {
    ms += 1 + Math.floor(rnd() * 20);
    const text = frame('delta', d + 2, ms, ranks(firstRank, 5).map(bid), ranks(firstRank, 5).map(ask));
    frames.push({ venue: 'bybit', market: 'perp', text, recvUs: recv(ms) });
  }
  return { stream: new FrameStream([full, ...frames]), recordOn: new FrameStream([cut, ...frames]) };
}

/**
 * Venue quote feeds (no books: each frame is one venue bbo event), 0–2 ms
 * apart in a random order: Binance spot bookTicker BTCUSDT, OKX bbo-tbt
 * BTC-USDT, Kraken ticker BTC/USDT, and two perps, Binance USDⓈ-M bookTicker
 * and OKX bbo-tbt swap, on BTC (`paired`: basis) or on ETH (no basis pair).
 * The same numbers either way. Each quote has new sizes; half of them also
 * move to the current fair price (a random walk; perps ~5 bps over spot).
 */
function quoteStream(n: number, paired: boolean, seed: number): FrameStream {
  const rnd = prng(seed);
  const recv = receiver(rnd);
  const binanceSpot = fixtureFrame('binance-spot', 'bookTicker.jsonl');
  const binancePerp = fixtureFrame('binance-usdm', 'bookTicker.jsonl');
  const okx = fixtureFrame('okx-v5', 'bbo-tbt.jsonl');
  const kraken = fixtureFrame('kraken-v2', 'ticker.jsonl', 1);
  const base = paired ? 'BTC' : 'ETH';
  const px = (cents: number) => (cents / 100).toFixed(2);
  const size = () => ((1 + Math.floor(rnd() * 5000)) / 1000).toFixed(3);
  type Quote = { bid: string; bidQty: string; ask: string; askQty: string };
  const feeds: {
    venue: VenueId;
    market: Market;
    perp: boolean;
    render: (q: Quote, ms: number, i: number) => string;
  }[] = [
    {
      venue: 'binance',
      market: 'spot',
      perp: false,
      render: (q, _ms, i) =>
        JSON.stringify({
          ...binanceSpot,
          u: 400_000_000 + i,
          s: 'BTCUSDT',
          b: q.bid,
          B: q.bidQty,
          a: q.ask,
          A: q.askQty,
        }),
    },
    {
      venue: 'okx',
      market: 'spot',
      perp: false,
      render: (q, ms, i) => okxBbo(okx, 'BTC-USDT', q, ms, i),
    },
    {
      venue: 'kraken',
      market: 'spot',
      perp: false,
      render: (q, ms) => {
        const data = (kraken.data as Record<string, unknown>[])[0]!;
        const d = {
          ...data,
          symbol: 'BTC/USDT',
          bid: Number(q.bid),
          bid_qty: Number(q.bidQty),
          ask: Number(q.ask),
          ask_qty: Number(q.askQty),
          timestamp: new Date(ms).toISOString(),
        };
        return JSON.stringify({ ...kraken, data: [d] });
      },
    },
    {
      venue: 'binance-futures',
      market: 'perp',
      perp: true,
      render: (q, ms, i) => {
        const data = binancePerp.data as Record<string, unknown>;
        const d = { ...data, u: 600_000_000 + i, s: `${base}USDT`, b: q.bid, B: q.bidQty, a: q.ask, A: q.askQty };
        return JSON.stringify({ stream: `${base.toLowerCase()}usdt@bookTicker`, data: { ...d, T: ms, E: ms + 1 } });
      },
    },
    {
      venue: 'okx',
      market: 'perp',
      perp: true,
      render: (q, ms, i) => okxBbo(okx, `${base}-USDT-SWAP`, q, ms, i),
    },
  ];
  const mids = feeds.map(() => 5_000_000);
  let fair = 5_000_000;
  let ms = T0_MS;
  const frames: Frame[] = [];
  for (let i = 0; i < n; i++) {
    ms += Math.floor(rnd() * 3);
    fair = Math.max(10_000, fair + Math.round((rnd() - 0.5) * 100));
    const f = Math.floor(rnd() * feeds.length);
    const feed = feeds[f]!;
    if (rnd() < 0.5) mids[f] = (feed.perp ? fair + 2_500 : fair) + Math.round((rnd() - 0.5) * 6);
    const half = 1 + Math.floor(rnd() * 3);
    const q = { bid: px(mids[f]! - half), bidQty: size(), ask: px(mids[f]! + half), askQty: size() };
    frames.push({ venue: feed.venue, market: feed.market, text: feed.render(q, ms, i), recvUs: recv(ms) });
  }
  return new FrameStream(frames);
}

function okxBbo(
  template: Record<string, unknown>,
  instId: string,
  q: { bid: string; bidQty: string; ask: string; askQty: string },
  ms: number,
  i: number,
): string {
  const data = (template.data as Record<string, unknown>[])[0]!;
  return JSON.stringify({
    ...template,
    arg: { ...(template.arg as Record<string, unknown>), instId },
    data: [
      { ...data, asks: [[q.ask, q.askQty, '0', '1']], bids: [[q.bid, q.bidQty, '0', '1']], ts: `${ms}`, seqId: i },
    ],
  });
}

// ---- the native engine -------------------------------------------------------

const ignore = (): void => {};

/** A stream replayed cyclically through a native engine; a fresh engine for each cycle. */
class NativeRun {
  private engine: Engine;
  private next = 0;

  constructor(
    private readonly stream: FrameStream,
    private readonly options: EngineOptions,
  ) {
    this.engine = this.open();
  }

  private open(): Engine {
    // Drained after every batch: a few MiB hold a batch's output many times over.
    return new Engine({
      pipeline: 'normalize',
      inputCapacity: 1 << 20,
      outputCapacity: 1 << 21,
      prefault: true,
      ...this.options,
    });
  }

  /** Writes the next `count` frames, polls the engine, drains its output into `sink`. */
  run(count: number, sink: (rec: RecordView) => void = ignore): void {
    const s = this.stream;
    let engine = this.engine;
    for (let i = 0; i < count; i++) {
      if (this.next === s.length) {
        engine.poll();
        engine.reader.drain(sink);
        this.assertClean(); // once per cycle: a cycle that went wrong fails the task
        engine.close();
        engine = this.engine = this.open();
        this.next = 0;
      }
      const k = this.next++;
      engine.writer.writeFrame(s.bytes[k]!, 1, s.venue[k]!, s.flags[k]!, s.recvHi[k]!, s.recvLo[k]!, 0, false);
    }
    engine.poll();
    engine.reader.drain(sink);
  }

  /** Starts the stream over on a fresh engine. */
  restart(): void {
    this.engine.close();
    this.engine = this.open();
    this.next = 0;
  }

  /** Throws when the engine ran out of output room, lost signal records, saw late trades or book gaps. */
  assertClean(): void {
    const stats = this.engine.stats();
    const trouble = [
      stats.outputFull > 0 && `output ring full ${stats.outputFull} times`,
      (stats.signalLostRecords ?? 0) > 0 && `${stats.signalLostRecords} lost signal records`,
      (stats.lateTrades ?? 0) > 0 && `${stats.lateTrades} late trades`,
      (stats.bookGaps ?? 0) > 0 && `${stats.bookGaps} book gaps`,
    ].filter(Boolean);
    if (trouble.length > 0) throw new Error(`native engine: ${trouble.join(', ')}`);
  }

  close(): void {
    this.engine.close();
  }
}

// ---- the TS reference signal engine ------------------------------------------

const NOW = 0;
const TRADE = 1;
const TOP = 2;
const DEPTH = 3;
const BOOK_STATE = 4;
const IDLE = 5;

/** One SignalEngine call as ReferencePipeline made it. */
type Call =
  | { k: typeof NOW | typeof IDLE; now: number }
  | {
      k: typeof TRADE;
      venue: VenueId;
      symbol: string;
      ts: number | null;
      recv: number;
      price: number;
      qty: number;
      side: Side;
    }
  | {
      k: typeof TOP;
      venue: VenueId;
      symbol: string;
      ts: number | null;
      recv: number;
      bidPx: number;
      bidQty: number;
      askPx: number;
      askQty: number;
      valid: boolean;
    }
  | {
      k: typeof DEPTH;
      venue: VenueId;
      symbol: string;
      ts: number | null;
      recv: number;
      bids: readonly number[];
      asks: readonly number[];
      valid: boolean;
    }
  | { k: typeof BOOK_STATE; venue: VenueId; symbol: string; valid: boolean; emit: boolean };

/**
 * The calls ReferencePipeline makes on its SignalEngine for each frame
 * (normalize, books, then setNow / onTrade / onTop / onDepth / onBookState /
 * advanceIdle in native order), recorded so that replaying them times the
 * signal work alone. They do not depend on the signal config except through
 * depthLevels (the onDepth arrays), left at its default everywhere here.
 */
function recordCalls(stream: FrameStream): Call[][] {
  const pipeline = new ReferencePipeline();
  const s = pipeline.signals;
  let calls: Call[] = [];
  const setNow = s.setNow.bind(s);
  const onTrade = s.onTrade.bind(s);
  const onTop = s.onTop.bind(s);
  const onDepth = s.onDepth.bind(s);
  const onBookState = s.onBookState.bind(s);
  const advanceIdle = s.advanceIdle.bind(s);
  s.setNow = (now) => {
    calls.push({ k: NOW, now });
    setNow(now);
  };
  s.advanceIdle = (now) => {
    calls.push({ k: IDLE, now });
    return advanceIdle(now);
  };
  s.onTrade = (venue, symbol, ts, recv, price, qty, side) => {
    calls.push({ k: TRADE, venue, symbol, ts, recv, price, qty, side });
    return onTrade(venue, symbol, ts, recv, price, qty, side);
  };
  s.onTop = (venue, symbol, ts, recv, bidPx, bidQty, askPx, askQty, valid) => {
    calls.push({ k: TOP, venue, symbol, ts, recv, bidPx, bidQty, askPx, askQty, valid });
    return onTop(venue, symbol, ts, recv, bidPx, bidQty, askPx, askQty, valid);
  };
  s.onDepth = (venue, symbol, ts, recv, bids, asks, valid) => {
    calls.push({ k: DEPTH, venue, symbol, ts, recv, bids, asks, valid });
    return onDepth(venue, symbol, ts, recv, bids, asks, valid);
  };
  s.onBookState = (venue, symbol, valid, emit = false) => {
    calls.push({ k: BOOK_STATE, venue, symbol, valid, emit });
    return onBookState(venue, symbol, valid, emit);
  };
  const out: Call[][] = [];
  for (let i = 0; i < stream.length; i++) {
    calls = [];
    const f = stream.frames[i]!;
    pipeline.push(f.venue, stream.bytes[i]!, f.recvUs, f.market);
    const fed = calls.some((c) => c.k === TRADE || c.k === TOP);
    if (!fed) throw new Error(`reference pipeline: frame ${i} (${f.venue}) fed no trade or top`);
    out.push(calls);
  }
  return out;
}

/** Recorded calls replayed cyclically on a SignalEngine; a fresh engine for each cycle. */
class ReferenceRun {
  private engine: SignalEngine;
  private next = 0;
  /** Records emitted: the result the replay produces. */
  emitted = 0;

  constructor(
    private readonly frames: Call[][],
    private readonly config: Partial<SignalConfig>,
  ) {
    this.engine = new SignalEngine(config);
  }

  run(count: number, sink?: (records: SignalRecord[]) => void): void {
    const frames = this.frames;
    let e = this.engine;
    for (let i = 0; i < count; i++) {
      if (this.next === frames.length) {
        const { lateTrades, nonFinite } = e.stats();
        if (lateTrades + nonFinite > 0)
          throw new Error(`TS reference: ${lateTrades} late trades, ${nonFinite} non-finite`);
        e = this.engine = new SignalEngine(this.config);
        this.next = 0;
      }
      for (const c of frames[this.next++]!) {
        let r: SignalRecord[] | undefined;
        switch (c.k) {
          case NOW:
            e.setNow(c.now);
            break;
          case IDLE:
            r = e.advanceIdle(c.now);
            break;
          case TRADE:
            r = e.onTrade(c.venue, c.symbol, c.ts, c.recv, c.price, c.qty, c.side);
            break;
          case TOP:
            r = e.onTop(c.venue, c.symbol, c.ts, c.recv, c.bidPx, c.bidQty, c.askPx, c.askQty, c.valid);
            break;
          case DEPTH:
            r = e.onDepth(c.venue, c.symbol, c.ts, c.recv, c.bids, c.asks, c.valid);
            break;
          case BOOK_STATE:
            r = e.onBookState(c.venue, c.symbol, c.valid, c.emit);
            break;
        }
        if (r !== undefined && r.length > 0) {
          this.emitted += r.length;
          sink?.(r);
        }
      }
    }
  }

  /** Starts the calls over on a fresh engine. */
  restart(): void {
    this.engine = new SignalEngine(this.config);
    this.next = 0;
  }
}

// ---- checks ------------------------------------------------------------------

const close = (a: number, b: number): boolean =>
  a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));

/** Native and TS record equal, numbers to a relative 1e-9 (docs/signals.md: the last ulp of log/pow may differ). */
function sameRecord(label: string, index: number, native: SignalRecord, ts: SignalRecord): void {
  const n = native as unknown as Record<string, unknown>;
  const t = ts as unknown as Record<string, unknown>;
  const keys = Object.keys(t);
  let differs = keys.length !== Object.keys(n).length;
  for (let i = 0; i < keys.length && !differs; i++) {
    const a = n[keys[i]!];
    const b = t[keys[i]!];
    differs = typeof a === 'number' && typeof b === 'number' ? !close(a, b) : a !== b;
  }
  if (differs) {
    throw new Error(
      `${label}: native and TS reference differ at record ${index}:\n` +
        `  native ${JSON.stringify(n)}\n  TS     ${JSON.stringify(t)}`,
    );
  }
}

interface Expect {
  /** Kinds the task measures: each must be emitted. */
  measured: SignalName[];
  /** At most this many records of any other kind (a book's first top emits a bbo and an nbbo once). */
  othersAtMost?: number;
  /** Records that must be among the output: `test` names the one a record is, `want` lists those required. */
  extra?: { what: string; test: (r: SignalRecord) => string | undefined; want: string[] };
}

/**
 * The one-time check: the first `frames` frames through both implementations
 * from fresh engines, in lockstep a batch at a time. They must emit the same records (so both do
 * the same work), the measured kinds among them, and no other kind.
 */
function check(label: string, native: NativeRun, reference: ReferenceRun, frames: number, expect: Expect): void {
  native.restart();
  reference.restart();
  const decoder = new RecordDecoder();
  const signals = new SignalDecoder(decoder);
  const counts = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<SignalName, number>;
  const seen = new Set<string>();
  let rejects = 0;
  let index = 0;
  let nativeOut: SignalRecord[] = [];
  let tsOut: SignalRecord[] = [];
  const sink = (rec: RecordView) => {
    if (rec.type === RECORD_TYPES.reject) rejects++;
    const signal = signals.decode(rec);
    if (signal === null) decoder.decode(rec);
    else nativeOut.push(signal);
  };
  for (let done = 0; done < frames; done += BATCH) {
    const n = Math.min(BATCH, frames - done);
    native.run(n, sink);
    reference.run(n, (r) => {
      for (const x of r) tsOut.push(x);
    });
    for (let i = 0; i < Math.min(nativeOut.length, tsOut.length); i++) {
      const r = nativeOut[i]!;
      sameRecord(label, index + i, r, tsOut[i]!);
      counts[r.signal]++;
      const s = expect.extra?.test(r);
      if (s !== undefined) seen.add(s);
    }
    if (nativeOut.length !== tsOut.length) {
      throw new Error(
        `${label}: frames ${done}–${done + n - 1}: native emitted ${nativeOut.length} records, TS ${tsOut.length}`,
      );
    }
    index += nativeOut.length;
    nativeOut = [];
    tsOut = [];
  }
  native.assertClean();
  if (rejects > 0) throw new Error(`${label}: the native normalizer rejected ${rejects} frames`);
  const missing = expect.measured.filter((k) => counts[k] === 0);
  if (missing.length > 0) throw new Error(`${label}: no ${missing.join(', ')} records: the task measures nothing`);
  const stray = KINDS.filter((k) => !expect.measured.includes(k) && counts[k] > (expect.othersAtMost ?? 0));
  if (stray.length > 0) {
    throw new Error(`${label}: also emits ${stray.map((k) => `${counts[k]} ${k}`).join(', ')}: not isolated`);
  }
  const lacking = expect.extra?.want.filter((w) => !seen.has(w)) ?? [];
  if (lacking.length > 0) throw new Error(`${label}: no ${expect.extra!.what} for ${lacking.join(', ')}`);
  const perFrame = KINDS.filter((k) => counts[k] > 0)
    .map((k) => `${k} ${(counts[k] / frames).toFixed(3)}${counts[k] < frames / 100 ? ` (${counts[k]})` : ''}`)
    .join(', ');
  console.log(
    `  ${label}: first ${frames.toLocaleString('en-US')} frames; records/frame: ${perFrame || 'none'}; native = TS`,
  );
  native.restart();
  reference.restart();
}

// ---- the suite -----------------------------------------------------------------

const ONLY = (c: Partial<SignalConfig>): Partial<SignalConfig> => ({
  tradeWindowsUs: [],
  emaHalfLivesUs: [],
  barIntervalsUs: [],
  ...c,
});

export function signalsSuite(): SignalsSuite {
  const runs: NativeRun[] = [];
  return {
    name: 'signals',
    tasks: () => {
      const tasks: SignalsTask[] = [];
      console.log('signals: generating inputs, recording the reference calls, checking each task');
      const native = (name: string, stream: FrameStream, options: EngineOptions): NativeRun => {
        const run = new NativeRun(stream, options);
        runs.push(run);
        tasks.push({ name, opsPerCall: BATCH, fn: () => run.run(BATCH) });
        return run;
      };
      const reference = (name: string, calls: Call[][], config: Partial<SignalConfig>): ReferenceRun => {
        const run = new ReferenceRun(calls, config);
        tasks.push({ name, opsPerCall: BATCH, fn: () => run.run(BATCH) });
        return run;
      };
      /** A baseline task: the same frames through the engine with signals off. */
      const baseline = (name: string, stream: FrameStream, books: boolean) => {
        const run = native(name, stream, { books, signals: false });
        let rejects = 0;
        const sink = (rec: RecordView) => void (rec.type === RECORD_TYPES.reject && rejects++);
        for (let done = 0; done < stream.length; done += BATCH) run.run(Math.min(BATCH, stream.length - done), sink);
        run.assertClean();
        if (rejects > 0) throw new Error(`${name}: the native normalizer rejected ${rejects} frames`);
        run.restart();
      };
      /** A native task and its TS reference twin on the same frames and config, checked. */
      const pair = (
        kind: string,
        stream: FrameStream,
        calls: Call[][],
        books: boolean,
        config: Partial<SignalConfig>,
        unit: string,
        expect: Expect,
      ) => {
        const n = native(
          `${kind}: native engine, ${books ? 'normalize + book + signals' : 'normalize + signals'}, per ${unit}`,
          stream,
          {
            books,
            signals: true,
            signalConfig: config,
          },
        );
        const t = reference(`${kind}: TS reference SignalEngine, pre-normalized calls, per ${unit}`, calls, config);
        check(kind, n, t, Math.min(stream.length, CHECK_FRAMES), expect);
      };

      // Trades: one kind at a time, by configuration.
      const trades = tradeStream(TRADE_FRAMES, SEED);
      const tradeCalls = recordCalls(trades);
      baseline(
        'trades (Binance BTCUSDT): native engine, normalize only, signals off (baseline), per trade',
        trades,
        false,
      );
      pair(
        'trades, no trade signal configured (signal stage fixed cost)',
        trades,
        tradeCalls,
        false,
        ONLY({}),
        'trade',
        {
          measured: [],
        },
      );
      const oneKind: [string, SignalName, Partial<SignalConfig>][] = [
        ['trade_stats (one 1 s window)', 'trade_stats', ONLY({ tradeWindowsUs: [1_000_000] })],
        ['trade_stats (one 60 s window)', 'trade_stats', ONLY({ tradeWindowsUs: [60_000_000] })],
        ['ema (one 1 s half-life)', 'ema', ONLY({ emaHalfLivesUs: [1_000_000] })],
        ['bar (one 1 s interval)', 'bar', ONLY({ barIntervalsUs: [1_000_000] })],
      ];
      for (const [kind, measured, config] of oneKind) {
        pair(kind, trades, tradeCalls, false, config, 'trade', { measured: [measured] });
      }
      pair(
        'trade_stats + ema + bar, default config (1 s and 60 s windows, 1 s and 30 s half-lives, 1 s and 1 m bars)',
        trades,
        tradeCalls,
        false,
        {},
        'trade',
        {
          measured: ['trade_stats', 'ema', 'bar'],
        },
      );

      // Quotes: Bybit deltas to a 200-level book; books on in every task.
      const unit = 'book delta';
      const { stream: top, recordOn: topRecordOn } = bybitStream(BOOK_DELTAS, 0, SEED + 1);
      baseline(
        'book deltas, top changes every delta: native engine, normalize + book, signals off (baseline), per book delta',
        top,
        true,
      );
      pair(
        'bbo + depth_imbalance + ofi + one-venue nbbo (top changes every delta)',
        top,
        recordCalls(topRecordOn),
        true,
        {},
        unit,
        {
          measured: ['bbo', 'depth_imbalance', 'ofi', 'nbbo'],
        },
      );
      const { stream: deep, recordOn: deepRecordOn } = bybitStream(BOOK_DELTAS, 1, SEED + 2);
      baseline(
        'book deltas, top untouched: native engine, normalize + book, signals off (baseline), per book delta',
        deep,
        true,
      );
      pair(
        'depth_imbalance alone (deltas to levels 2-6, top untouched)',
        deep,
        recordCalls(deepRecordOn),
        true,
        {},
        unit,
        {
          measured: ['depth_imbalance'],
          othersAtMost: 1, // the snapshot's first top: one bbo, one nbbo
        },
      );

      // Consolidated: venue quote feeds (bbo events, no books) of three spot venues and two perps.
      const paired = quoteStream(QUOTE_FRAMES, true, SEED + 3);
      const unpaired = quoteStream(QUOTE_FRAMES, false, SEED + 3);
      baseline(
        '5 quote feeds (3 spot venues + 2 perps): native engine, normalize only, signals off (baseline), per quote',
        paired,
        false,
      );
      pair(
        'nbbo of 3 venues + per-venue bbo, ofi; perps on ETH-USDT-PERP, so no basis',
        unpaired,
        recordCalls(unpaired),
        false,
        {},
        'quote',
        {
          measured: ['bbo', 'ofi', 'nbbo'],
        },
      );
      pair(
        'nbbo + basis (2 per-venue pairs + consolidated) + per-venue bbo, ofi; perps on BTC-USDT-PERP',
        paired,
        recordCalls(paired),
        false,
        {},
        'quote',
        {
          measured: ['bbo', 'ofi', 'nbbo', 'basis'],
          extra: {
            what: 'basis',
            test: (r) => (r.signal === 'basis' ? (r.venue ?? 'consolidated') : undefined),
            want: ['binance', 'okx', 'consolidated'],
          },
        },
      );
      return tasks;
    },
    cleanup: () => runs.forEach((r) => r.close()),
  };
}
