// Frame streams for the pipeline differential test: recorded venue fixtures
// and the simulator's venue encoders driven in-process on a virtual clock
// (deterministic per seed), with optional dropped book deltas and the
// resyncs a connector would then make (REST snapshot or resubscribe).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Market, VenueId } from '../../src/events';
import { parseCanonical, specFor, symbolsForVenue, venueSymbol } from '../../src/simulator/instruments';
import { SymbolModel } from '../../src/simulator/model';
import { hashSeed, Rng } from '../../src/simulator/rng';
import { createBinance } from '../../src/simulator/venues/binance';
import { createBinanceFutures } from '../../src/simulator/venues/binance-futures';
import { createBybit } from '../../src/simulator/venues/bybit';
import { createCoinbase } from '../../src/simulator/venues/coinbase';
import { createCoinbaseAdvanced } from '../../src/simulator/venues/coinbase-advanced';
import { createKraken } from '../../src/simulator/venues/kraken';
import { createOkx } from '../../src/simulator/venues/okx';
import type { Conn, SimInstrument, VenueAdapter, VenueContext } from '../../src/simulator/venues/types';
import { FIXTURE_ROOT } from '../support/fixtures';

export interface StreamFrame {
  venue: VenueId;
  market: Market;
  raw: string;
  recvTs: number;
}

// ---------------------------------------------------------------- recorded book sequences

interface SequenceRecord {
  raw: string;
  seq_group: string;
  seq_index: number;
  expected: { type?: string; symbol?: string; category?: string };
}

export const SEQUENCE_FILES: Array<[VenueId, string]> = [
  ['binance', 'binance-spot/depth_sync_sequence.jsonl'],
  ['binance', 'binance-spot/depth_sync_sequence_derived_gap.jsonl'],
  ['binance-futures', 'binance-usdm/depth_sync_sequence.jsonl'],
  ['binance-futures', 'binance-usdm/depth_sync_sequence_derived_gap.jsonl'],
  ['coinbase', 'coinbase-exchange/level2_sequence.jsonl'],
  ['coinbase-advanced', 'coinbase-advanced/connection_sequence.jsonl'],
  ['coinbase-advanced', 'coinbase-advanced/connection_sequence_derived_gap.jsonl'],
  ['kraken', 'kraken-v2/book_sequence.jsonl'],
  ['bybit', 'bybit-v5/orderbook_sequence.jsonl'],
  ['bybit', 'bybit-v5/orderbook_sequence_derived_gap.jsonl'],
  ['okx', 'okx-v5/books_sequence.jsonl'],
  ['okx', 'okx-v5/books_sequence_derived_missing_update.jsonl'],
];

/** Each sequence group of a fixture file as frames (Binance REST snapshots wrapped as the connector does), 50 ms apart. */
export function sequenceStreams(venue: VenueId, file: string): Array<{ group: string; frames: StreamFrame[] }> {
  const records = readFileSync(join(FIXTURE_ROOT, file), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as SequenceRecord);
  const groups = new Map<string, SequenceRecord[]>();
  for (const r of records) groups.set(r.seq_group, [...(groups.get(r.seq_group) ?? []), r]);
  return [...groups].map(([group, members]) => {
    members.sort((a, b) => a.seq_index - b.seq_index);
    const frames = members.map((r, i): StreamFrame => {
      const isRest = r.raw.startsWith('{"lastUpdateId"');
      const perp = r.expected.category === 'linear' || r.expected.category === 'inverse';
      return {
        venue,
        market: perp || venue === 'binance-futures' ? 'perp' : 'spot',
        raw: isRest ? `{"rest":${r.raw},"symbol":"${r.expected.symbol}"}` : r.raw,
        recvTs: 1_700_000_000_000_000 + i * 50_000,
      };
    });
    return { group, frames };
  });
}

/** True for a frame that carries an incremental book update (not a snapshot). */
export function isBookDelta(f: StreamFrame): boolean {
  const r = f.raw;
  switch (f.venue) {
    case 'binance':
    case 'binance-futures':
      return r.includes('"e":"depthUpdate"');
    case 'coinbase':
      return r.includes('"type":"l2update"');
    case 'coinbase-advanced':
      return r.includes('"channel":"l2_data"') && r.includes('"type":"update"');
    case 'kraken':
      return r.includes('"channel":"book"') && r.includes('"type":"update"');
    case 'bybit':
      return r.includes('"topic":"orderbook.') && r.includes('"type":"delta"');
    case 'okx':
      return r.includes('"action":"update"');
  }
}

// ---------------------------------------------------------------- the simulator, in-process

const FACTORIES: Record<VenueId, (ctx: VenueContext, insts: readonly SimInstrument[]) => VenueAdapter> = {
  binance: createBinance,
  'binance-futures': createBinanceFutures,
  coinbase: createCoinbase,
  'coinbase-advanced': createCoinbaseAdvanced,
  kraken: createKraken,
  bybit: createBybit,
  okx: createOkx,
};

export interface SimOptions {
  venues: VenueId[];
  symbols: string[];
  steps: number;
  seed: number;
  /** Model steps per second of virtual time (all books together). */
  rate: number;
  /** Drop every n-th book delta (per venue); the connector resyncs `resyncAfterSteps` steps later. */
  dropDeltaEvery?: number;
  resyncAfterSteps?: number;
}

interface SimConn extends Conn {
  insts: SimInstrument[];
}

/** Frames a connector would receive from the simulator for the options, in arrival order. */
export function simulate(opts: SimOptions): StreamFrame[] {
  const startUs = 1_767_225_600_000_000;
  let now = startUs;
  const ctx: VenueContext = { nowUs: () => now, okxChecksum: 'legacy' };
  const frames: StreamFrame[] = [];
  const jitter = new Rng(hashSeed(opts.seed, 'recv'));
  const deltaCount = new Map<VenueId, number>();
  const resyncs: Array<{ at: number; run: () => void }> = [];
  let step = 0;
  // One arrival order (send order) with non-decreasing receive times.
  let lastRecv = 0;
  const recvAt = (base: number): number => (lastRecv = Math.max(lastRecv, base));

  const books: Array<{ inst: SimInstrument; adapter: VenueAdapter }> = [];
  const restSnapshot: Array<() => void> = [];
  let connId = 0;
  for (const venue of opts.venues) {
    const insts: SimInstrument[] = symbolsForVenue(venue, opts.symbols.map(parseCanonical)).map((s) => {
      const spec = specFor(venue, s);
      const model = new SymbolModel(spec, new Rng(hashSeed(opts.seed, `${venue}|${s.canonical}`)), { volatility: 1 });
      return { venue, market: s.market, spec, venueSymbol: venueSymbol(venue, s), model };
    });
    const adapter = FACTORIES[venue](ctx, insts);
    for (const inst of insts) books.push({ inst, adapter });
    const markets = [...new Set(insts.map((i) => i.market))];
    // One connection per market where the venue splits them (Bybit), else one.
    const connMarkets: Market[] = venue === 'bybit' ? markets : [insts[0]!.market];
    for (const market of connMarkets) {
      const conn: SimConn = {
        id: ++connId,
        venue,
        market,
        tag: `c${connId}`,
        insts: venue === 'bybit' ? insts.filter((i) => i.market === market) : insts,
        send(text: string) {
          if (isBookDelta({ venue, market, raw: text, recvTs: 0 }) && opts.dropDeltaEvery !== undefined) {
            const n = (deltaCount.get(venue) ?? 0) + 1;
            deltaCount.set(venue, n);
            if (n % opts.dropDeltaEvery === 0) {
              resyncs.push({ at: step + (opts.resyncAfterSteps ?? 20), run: () => resync(adapter, conn) });
              return;
            }
          }
          frames.push({ venue, market, raw: text, recvTs: recvAt(now + 200 + (jitter.u32() % 800)) });
        },
        close() {},
      };
      subscribe(adapter, conn, restSnapshot);
    }
  }

  function resync(adapter: VenueAdapter, conn: SimConn): void {
    const v = conn.venue;
    for (const inst of conn.insts) {
      const sym = inst.venueSymbol;
      if (v === 'binance' || v === 'binance-futures') {
        rest(adapter, conn, inst);
      } else if (v === 'bybit') {
        for (const op of ['unsubscribe', 'subscribe'])
          adapter.onMessage(conn, JSON.stringify({ op, args: [`orderbook.50.${sym}`] }));
      } else if (v === 'okx') {
        for (const op of ['unsubscribe', 'subscribe'])
          adapter.onMessage(conn, JSON.stringify({ op, args: [{ channel: 'books', instId: sym }] }));
      } else if (v === 'kraken') {
        for (const method of ['unsubscribe', 'subscribe'])
          adapter.onMessage(conn, JSON.stringify({ method, params: { channel: 'book', symbol: [sym], depth: 10 } }));
      }
    }
  }

  function rest(adapter: VenueAdapter, conn: SimConn, inst: SimInstrument): void {
    const path = conn.venue === 'binance' ? '/api/v3/depth' : '/fapi/v1/depth';
    const reply = adapter.rest(path, new URLSearchParams({ symbol: inst.venueSymbol, limit: '1000' }));
    if (reply === null || reply.status !== 200) throw new Error(`REST depth failed for ${inst.venueSymbol}`);
    frames.push({
      venue: conn.venue,
      market: conn.market,
      raw: `{"rest":${reply.body},"symbol":"${inst.venueSymbol}"}`,
      recvTs: recvAt(now + 5_000),
    });
  }

  function subscribe(adapter: VenueAdapter, conn: SimConn, later: Array<() => void>): void {
    const syms = conn.insts.map((i) => i.venueSymbol);
    const send = (m: unknown): void => adapter.onMessage(conn, JSON.stringify(m));
    switch (conn.venue) {
      case 'binance':
      case 'binance-futures': {
        const streams = syms.flatMap((s) => {
          const l = s.toLowerCase();
          return [`${l}@trade`, `${l}@depth@100ms`, `${l}@bookTicker`];
        });
        adapter.onOpen(conn, new URL(`http://sim/${conn.venue}/stream?streams=${streams.join('/')}`));
        // The REST snapshot arrives after some deltas have been buffered.
        later.push(() => {
          for (const inst of conn.insts) rest(adapter, conn, inst);
        });
        return;
      }
      case 'coinbase':
        adapter.onOpen(conn, new URL('http://sim/coinbase'));
        send({
          type: 'subscribe',
          product_ids: syms,
          channels: ['level2_batch', 'matches', 'heartbeat', { name: 'ticker', product_ids: syms }],
        });
        return;
      case 'coinbase-advanced':
        adapter.onOpen(conn, new URL('http://sim/coinbase-advanced'));
        for (const channel of ['level2', 'market_trades', 'ticker', 'heartbeats'])
          send({ type: 'subscribe', product_ids: syms, channel });
        return;
      case 'kraken':
        adapter.onOpen(conn, new URL('http://sim/kraken/v2'));
        send({ method: 'subscribe', params: { channel: 'book', symbol: syms, depth: 10, snapshot: true }, req_id: 1 });
        send({ method: 'subscribe', params: { channel: 'trade', symbol: syms, snapshot: false }, req_id: 2 });
        send({ method: 'subscribe', params: { channel: 'ticker', symbol: syms }, req_id: 3 });
        return;
      case 'bybit':
        adapter.onOpen(conn, new URL(`http://sim/bybit/v5/public/${conn.market === 'perp' ? 'linear' : 'spot'}`));
        send({
          req_id: 'sub1',
          op: 'subscribe',
          args: syms.flatMap((s) => [`orderbook.50.${s}`, `publicTrade.${s}`, `tickers.${s}`]),
        });
        return;
      case 'okx':
        adapter.onOpen(conn, new URL('http://sim/okx/ws/v5/public'));
        send({
          id: '1',
          op: 'subscribe',
          args: syms.flatMap((instId) => ['tickers', 'trades', 'books'].map((channel) => ({ channel, instId }))),
        });
        return;
    }
  }

  const adapters = [...new Set(books.map((b) => b.adapter))];
  let second = Math.floor(now / 1_000_000);
  for (; step < opts.steps; step++) {
    const b = books[step % books.length]!;
    now = startUs + Math.floor((step * 1e6) / opts.rate);
    b.adapter.onStep(b.inst, b.inst.model.step(now));
    if (Math.floor(now / 1_000_000) !== second) {
      second = Math.floor(now / 1_000_000);
      for (const a of adapters) a.onSecond();
    }
    if (step === 30) for (const r of restSnapshot) r();
    for (let i = 0; i < resyncs.length;) {
      if (resyncs[i]!.at <= step) {
        resyncs[i]!.run();
        resyncs.splice(i, 1);
      } else i++;
    }
  }
  return frames;
}
