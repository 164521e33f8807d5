import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { venueCode, type VenueId } from '../../src/events';
import { decodeBookRecord, type BookVerdictEvent } from '../../src/engine/book-records';
import { Engine } from '../../src/engine/engine';
import { FRAME_RECORD_TYPE, RecordDecoder } from '../../src/engine/records';
import { EngineStream } from '../../src/engine/stream';
import {
  KRAKEN_DEPTH,
  ReferenceBook,
  ReferenceBookSync,
  type BookMessage,
  type LevelText,
  type ModelResult,
  type SyncRule,
} from '../../src/reference/book';

const fixtures = join(__dirname, '..', '..', '..', 'shared', 'fixtures', 'venues');
const NUM_RUNS = 60;

// ---------------------------------------------------------------- engine driver

interface Frame {
  raw: string;
  perp?: boolean;
}

/** Pushes frames one at a time through a fresh engine, calling `check` with each frame's verdict. */
function runEngine(
  venue: VenueId,
  frames: readonly Frame[],
  check: (i: number, got: BookVerdictEvent[]) => void,
): void {
  const engine = new Engine({
    mode: 'inline',
    pipeline: 'normalize',
    bookVerdicts: true,
    inputCapacity: 1 << 20,
    outputCapacity: 1 << 20,
  });
  const decoder = new RecordDecoder();
  let verdicts: BookVerdictEvent[] = [];
  const stream = new EngineStream(engine, (record) => {
    if (record.type === 16) decoder.decode(record);
    const event = decodeBookRecord(record, decoder);
    if (event?.type === 'book_verdict') verdicts.push(event);
  });
  try {
    frames.forEach((f, i) => {
      stream.push(
        {
          type: FRAME_RECORD_TYPE,
          venue: venueCode(venue),
          flags: f.perp ? 1 : 0,
          recvNs: 1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n,
        },
        new TextEncoder().encode(f.raw),
      );
      stream.pump();
      check(i, verdicts);
      verdicts = [];
    });
  } finally {
    engine.close();
  }
}

function assertSame(got: BookVerdictEvent[], want: ModelResult, where: string): void {
  assert.equal(got.length, 1, `${where}: one verdict for the frame`);
  const g = got[0]!;
  assert.equal(g.verdict, want.verdict, `${where}: verdict`);
  assert.equal(g.state, want.state, `${where}: state`);
  assert.deepEqual(g.top, want.top, `${where}: top of book`);
}

// ---------------------------------------------------------------- random books

/** A level change in ticks from the mid: bids sit 1..35 ticks below it, asks 0..34 above, so nothing crosses. */
interface Change {
  side: 'bid' | 'ask';
  off: number;
  /** Size in units of 10^-4; 0 deletes the level. */
  size: number;
}
interface Scenario {
  snapshot: Change[];
  deltas: Change[][];
}

const MID = 3_000_000; // 30000.00 in ticks of 0.01
const changeArb = (deleteWeight: number): fc.Arbitrary<Change> =>
  fc.record({
    side: fc.constantFrom('bid' as const, 'ask' as const),
    off: fc.integer({ min: 0, max: 34 }),
    size:
      deleteWeight === 0
        ? fc.integer({ min: 1, max: 1_000_000 })
        : fc.oneof(
            { weight: deleteWeight, arbitrary: fc.constant(0) },
            { weight: 3, arbitrary: fc.integer({ min: 1, max: 1_000_000 }) },
          ),
  });
const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  snapshot: fc.array(changeArb(0), { minLength: 2, maxLength: 40 }),
  deltas: fc.array(fc.array(changeArb(1), { minLength: 1, maxLength: 5 }), { minLength: 2, maxLength: 25 }),
});

function priceTicks(c: Change): number {
  return c.side === 'bid' ? MID - 1 - c.off : MID + c.off;
}

/** `units / 10^decimals` written with exactly `decimals` fraction digits. */
function fixed(units: number, decimals: number): string {
  const s = units.toString().padStart(decimals + 1, '0');
  return `${s.slice(0, s.length - decimals)}.${s.slice(s.length - decimals)}`;
}
/** OKX style: no trailing fraction zeros. */
function trimmed(units: number, decimals: number): string {
  return fixed(units, decimals).replace(/\.?0+$/, '');
}

interface Style {
  price: (ticks: number) => string;
  size: (units: number) => string;
}
const STYLES: Record<'bybit' | 'okx' | 'kraken' | 'binance', Style> = {
  bybit: { price: (t) => fixed(t, 2), size: (u) => (u === 0 ? '0' : fixed(u, 4)) },
  okx: { price: (t) => trimmed(t, 2), size: (u) => (u === 0 ? '0' : trimmed(u, 4)) },
  kraken: { price: (t) => fixed(t, 2), size: (u) => fixed(u * 10_000, 8) },
  binance: { price: (t) => fixed(t * 1_000_000, 8), size: (u) => fixed(u * 10_000, 8) },
};

function levels(changes: readonly Change[], side: 'bid' | 'ask', style: Style): LevelText[] {
  // Last write wins within a message, as in a venue's own rendering of one event.
  const byPrice = new Map<number, number>();
  for (const c of changes) if (c.side === side) byPrice.set(priceTicks(c), c.size);
  return [...byPrice].map(([t, u]) => ({ price: style.price(t), size: style.size(u) }));
}

type RandomVenue = 'bybit' | 'okx' | 'kraken' | 'binance';

/** The model messages of a scenario, with sequence numbers and the checksums the venue would send. */
function messages(venue: RandomVenue, s: Scenario): BookMessage[] {
  const style = STYLES[venue];
  const truth = new ReferenceBook();
  const out: BookMessage[] = [];
  const snapBids = levels(s.snapshot, 'bid', style);
  const snapAsks = levels(s.snapshot, 'ask', style);
  truth.apply(snapBids, snapAsks);
  if (venue === 'kraken') truth.truncate(KRAKEN_DEPTH);
  const snapshot: BookMessage = { kind: 'snapshot', bids: truth.side('bids'), asks: truth.side('asks') };
  let seq = 1000n;
  if (venue === 'kraken') snapshot.checksum = truth.krakenChecksum();
  if (venue === 'okx') Object.assign(snapshot, { seq, prevSeq: -1n, checksum: truth.okxChecksum() });
  if (venue === 'bybit' || venue === 'binance') snapshot.seq = seq;
  out.push(snapshot);
  s.deltas.forEach((changes, i) => {
    const bids = levels(changes, 'bid', style);
    const asks = levels(changes, 'ask', style);
    truth.apply(bids, asks);
    const msg: BookMessage = { kind: 'delta', bids, asks };
    if (venue === 'kraken') {
      truth.truncate(KRAKEN_DEPTH);
      msg.checksum = truth.krakenChecksum();
    } else if (venue === 'okx') {
      const next = seq + BigInt(1 + (i % 3));
      Object.assign(msg, { seq: next, prevSeq: seq, checksum: truth.okxChecksum() });
      seq = next;
    } else if (venue === 'bybit') {
      seq += 1n;
      msg.seq = seq;
    } else {
      // Binance spot: the first delta straddles lastUpdateId, later ones follow on.
      const first = i === 0 ? seq - BigInt(changes.length % 3) : seq + 1n;
      const last = (i === 0 ? seq + 1n : first) + BigInt(i % 2);
      Object.assign(msg, { seq: last, prevSeq: first - 1n });
      seq = last;
    }
    out.push(msg);
  });
  return out;
}

const pair = (l: LevelText): [string, string] => [l.price, l.size];
/** A JSON number written exactly as the text (Kraken v2 sends fixed-precision numbers). */
const krakenLevels = (ls: readonly LevelText[]): string =>
  `[${ls.map((l) => `{"price":${l.price},"qty":${l.size}}`).join(',')}]`;

function render(venue: RandomVenue, m: BookMessage): string {
  switch (venue) {
    case 'bybit':
      return JSON.stringify({
        topic: 'orderbook.50.BTCUSDT',
        type: m.kind,
        ts: 1786310819053,
        data: { s: 'BTCUSDT', b: m.bids.map(pair), a: m.asks.map(pair), u: Number(m.seq), seq: 1 },
        cts: 1786310819050,
      });
    case 'okx':
      return JSON.stringify({
        arg: { channel: 'books', instId: 'BTC-USDT' },
        action: m.kind === 'snapshot' ? 'snapshot' : 'update',
        data: [
          {
            asks: m.asks.map((l) => [l.price, l.size, '0', '1']),
            bids: m.bids.map((l) => [l.price, l.size, '0', '1']),
            ts: '1652459225393',
            checksum: m.checksum,
            prevSeqId: Number(m.prevSeq),
            seqId: Number(m.seq),
          },
        ],
      });
    case 'kraken':
      return (
        `{"channel":"book","type":"${m.kind === 'snapshot' ? 'snapshot' : 'update'}","data":[{"symbol":"BTC/USD",` +
        `"bids":${krakenLevels(m.bids)},"asks":${krakenLevels(m.asks)},"checksum":${m.checksum}` +
        `${m.kind === 'delta' ? ',"timestamp":"2025-05-06T09:17:26.208075Z"' : ''}}]}`
      );
    case 'binance':
      if (m.kind === 'snapshot') {
        const rest = JSON.stringify({ lastUpdateId: Number(m.seq), bids: m.bids.map(pair), asks: m.asks.map(pair) });
        return `{"rest":${rest},"symbol":"BTCUSDT"}`;
      }
      return JSON.stringify({
        stream: 'btcusdt@depth@100ms',
        data: {
          e: 'depthUpdate',
          E: 1633998512068,
          s: 'BTCUSDT',
          U: Number(m.prevSeq! + 1n),
          u: Number(m.seq),
          b: m.bids.map(pair),
          a: m.asks.map(pair),
        },
      });
  }
}

const RANDOM_VENUES: RandomVenue[] = ['bybit', 'okx', 'kraken', 'binance'];

for (const venue of RANDOM_VENUES) {
  test(`${venue}: a random book driven by random deltas, rendered in the venue's wire format and rebuilt by the engine, equals the reference model after every frame`, () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const msgs = messages(venue, s);
        const model = new ReferenceBookSync(venue);
        runEngine(
          venue,
          msgs.map((m) => ({ raw: render(venue, m) })),
          (i, got) => {
            const want = model.onMessage(msgs[i]!);
            assert.ok(['snapshot', 'apply', 'apply_first'].includes(want.verdict), `model frame ${i}: ${want.verdict}`);
            assertSame(got, want, `frame ${i}`);
          },
        );
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test(`${venue}: dropping any one delta is detected at the next frame (${venue === 'kraken' ? 'checksum_mismatch exactly when the top 10 then differ' : 'gap'}) and the book resyncs`, () => {
    fc.assert(
      fc.property(scenarioArb, fc.nat(), (s, pick) => {
        const msgs = messages(venue, s);
        const dropped = 1 + (pick % (msgs.length - 2)); // a delta with one after it
        const fed = msgs.filter((_, i) => i !== dropped);
        const model = new ReferenceBookSync(venue);
        runEngine(
          venue,
          fed.slice(0, dropped + 1).map((m) => ({ raw: render(venue, m) })),
          (i, got) => {
            const want = model.onMessage(fed[i]!);
            assertSame(got, want, `frame ${i}`);
            if (i < dropped) return;
            if (venue !== 'kraken') {
              assert.equal(want.verdict, 'gap', 'the model sees the gap');
              return;
            }
            // Kraken has no sequence: the venue's checksum reveals the drop only
            // if the book it describes differs from the one rebuilt without it.
            const truth = new ReferenceBookSync('kraken');
            for (const m of msgs.slice(0, dropped + 2)) truth.onMessage(m);
            const differs =
              JSON.stringify([truth.currentBook.side('bids'), truth.currentBook.side('asks')]) !==
              JSON.stringify([model.currentBook.side('bids'), model.currentBook.side('asks')]);
            assert.equal(
              want.verdict,
              differs ? 'checksum_mismatch' : 'apply',
              'the model detects the drop exactly when it matters',
            );
          },
        );
        const final = model.currentState;
        if (venue !== 'kraken') assert.equal(final, 'RESYNCING');
      }),
      { numRuns: NUM_RUNS },
    );
  });
}

// ---------------------------------------------------------------- recorded fixtures

interface SequenceRecord {
  raw: string;
  seq_group: string;
  seq_index: number;
  expected: { type?: string; symbol?: string; category?: string };
}

type Pair = [string, string];
const toLevels = (ls: readonly unknown[] | undefined): LevelText[] =>
  (ls ?? []).map((l) => {
    const [price, size] = l as Pair;
    return { price, size };
  });
const big = (v: unknown): bigint | undefined => (v === undefined || v === null ? undefined : BigInt(v as number));

/** The model message of one recorded frame. */
function parseFixture(rule: SyncRule, r: SequenceRecord): BookMessage {
  if (rule === 'kraken') {
    // Keep the numbers' text: the checksum hashes the digits as sent.
    const j = JSON.parse(r.raw.replace(/"(price|qty)":([0-9.eE+-]+)/g, '"$1":"$2"')) as {
      type: string;
      data: Array<{
        bids: Array<{ price: string; qty: string }>;
        asks: Array<{ price: string; qty: string }>;
        checksum?: number;
      }>;
    };
    const d = j.data[0]!;
    const conv = (ls: Array<{ price: string; qty: string }>): LevelText[] =>
      ls.map((l) => ({ price: l.price, size: l.qty }));
    return {
      kind: j.type === 'snapshot' ? 'snapshot' : 'delta',
      bids: conv(d.bids),
      asks: conv(d.asks),
      checksum: d.checksum,
    };
  }
  const j = JSON.parse(r.raw) as Record<string, unknown>;
  switch (rule) {
    case 'binance':
    case 'binance-futures': {
      if ('lastUpdateId' in j)
        return {
          kind: 'snapshot',
          bids: toLevels(j.bids as unknown[]),
          asks: toLevels(j.asks as unknown[]),
          seq: big(j.lastUpdateId),
        };
      const d = j.data as Record<string, unknown>;
      const prevSeq = rule === 'binance' ? big(d.U)! - 1n : big(d.pu);
      return {
        kind: 'delta',
        bids: toLevels(d.b as unknown[]),
        asks: toLevels(d.a as unknown[]),
        seq: big(d.u),
        prevSeq,
      };
    }
    case 'coinbase': {
      if (j.type === 'snapshot')
        return { kind: 'snapshot', bids: toLevels(j.bids as unknown[]), asks: toLevels(j.asks as unknown[]) };
      const changes = j.changes as Array<[string, string, string]>;
      const of = (side: string): LevelText[] =>
        changes.filter((c) => c[0] === side).map((c) => ({ price: c[1], size: c[2] }));
      return { kind: 'delta', bids: of('buy'), asks: of('sell') };
    }
    case 'bybit': {
      const d = j.data as Record<string, unknown>;
      return {
        kind: j.type === 'snapshot' ? 'snapshot' : 'delta',
        bids: toLevels(d.b as unknown[]),
        asks: toLevels(d.a as unknown[]),
        seq: big(d.u),
      };
    }
    case 'okx': {
      const d = (j.data as Array<Record<string, unknown>>)[0]!;
      return {
        kind: j.action === 'snapshot' ? 'snapshot' : 'delta',
        bids: toLevels(d.bids as unknown[]),
        asks: toLevels(d.asks as unknown[]),
        seq: big(d.seqId),
        prevSeq: big(d.prevSeqId),
        checksum: d.checksum as number | undefined,
      };
    }
  }
  throw new Error(`no parser for ${rule}`);
}

const FILES: Array<[VenueId & SyncRule, string]> = [
  ['binance', 'binance-spot/depth_sync_sequence.jsonl'],
  ['binance', 'binance-spot/depth_sync_sequence_derived_gap.jsonl'],
  ['binance-futures', 'binance-usdm/depth_sync_sequence.jsonl'],
  ['binance-futures', 'binance-usdm/depth_sync_sequence_derived_gap.jsonl'],
  ['coinbase', 'coinbase-exchange/level2_sequence.jsonl'],
  ['kraken', 'kraken-v2/book_sequence.jsonl'],
  ['bybit', 'bybit-v5/orderbook_sequence.jsonl'],
  ['bybit', 'bybit-v5/orderbook_sequence_derived_gap.jsonl'],
  ['okx', 'okx-v5/books_sequence.jsonl'],
  ['okx', 'okx-v5/books_sequence_derived_missing_update.jsonl'],
];

for (const [venue, file] of FILES) {
  test(`${file}: the engine and the reference model give the same verdict, state and top of book after every recorded frame`, () => {
    const records = readFileSync(join(fixtures, file), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as SequenceRecord);
    const groups = new Map<string, SequenceRecord[]>();
    for (const r of records) groups.set(r.seq_group, [...(groups.get(r.seq_group) ?? []), r]);
    for (const [group, members] of groups) {
      members.sort((a, b) => a.seq_index - b.seq_index);
      // Quote frames interleaved in a sequence (Binance bookTicker) concern no book.
      const book = members.filter((r) => r.expected.type !== 'book_ticker');
      const model = new ReferenceBookSync(venue);
      const frames = book.map((r) => {
        const isRest = r.raw.startsWith('{"lastUpdateId"');
        const perp = r.expected.category === 'linear' || r.expected.category === 'inverse';
        return { raw: isRest ? `{"rest":${r.raw},"symbol":"${r.expected.symbol}"}` : r.raw, perp };
      });
      runEngine(venue, frames, (i, got) => {
        assertSame(got, model.onMessage(parseFixture(venue, book[i]!)), `${group} #${book[i]!.seq_index}`);
      });
    }
  });
}
