// Per venue: a real `ws` client subscribes with the venue's own subscribe
// message; every frame must normalize (reference normalizer) without a reject;
// the book rebuilt from snapshot/REST + deltas must have contiguous sequences,
// valid Kraken/OKX checksums, agree with every top-of-book frame, and end equal
// to the model's book and to the REST snapshot; trades must be the model's.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BookEvent, CanonicalEvent, Market, TradeEvent, VenueId } from '../../src/events';
import { ReferenceNormalizer } from '../../src/reference/index';
import { startSimulator, type Simulator } from '../../src/simulator/server';
import type { ModelTrade } from '../../src/simulator/model';
import { Client, LocalBook, krakenChecksum, modelLevels, okxChecksum } from './helpers';

interface Case {
  venue: VenueId;
  market: Market;
  /** Canonical symbol the client follows. */
  symbol: string;
  /** The venue symbol as written on the wire. */
  wire: string;
  path: (sim: Simulator) => string;
  subscribe: unknown[];
  /** Frames that must have arrived before stepping (acks / snapshots). */
  ready: (frames: string[]) => boolean;
  /** Book depth the client keeps (truncating venues), else all. */
  depth?: number;
  /** Trade ids on the wire equal the model's trade ids. */
  idsComparable: boolean;
  /** The subscribed channels carry top-of-book (Bybit spot tickers do not). */
  bbo?: false;
}

const count = (frames: string[], needle: string): number => frames.filter((f) => f.includes(needle)).length;

const CASES: Case[] = [
  {
    venue: 'binance',
    market: 'spot',
    symbol: 'BTC-USDT',
    wire: 'BTCUSDT',
    path: (s) =>
      `${s.urls.binance!.ws.replace(/\/ws$/, '')}/stream?streams=btcusdt@trade/btcusdt@depth@100ms/btcusdt@bookTicker`,
    subscribe: [{ method: 'SUBSCRIBE', params: ['ethusdt@aggTrade'], id: 7 }],
    ready: (f) => count(f, '"id":7') === 1,
    idsComparable: true,
  },
  {
    venue: 'binance-futures',
    market: 'perp',
    symbol: 'BTC-USDT-PERP',
    wire: 'BTCUSDT',
    path: (s) => s.urls['binance-futures']!.ws,
    subscribe: [
      {
        method: 'SUBSCRIBE',
        params: ['btcusdt@trade', 'btcusdt@depth@100ms', 'btcusdt@bookTicker', 'btcusdt@markPrice@1s'],
        id: 1,
      },
    ],
    ready: (f) => count(f, '"id":1') === 1,
    idsComparable: true,
  },
  {
    venue: 'coinbase',
    market: 'spot',
    symbol: 'BTC-USDT',
    wire: 'BTC-USDT',
    path: (s) => s.urls.coinbase!.ws,
    subscribe: [
      {
        type: 'subscribe',
        product_ids: ['BTC-USDT'],
        channels: ['level2_batch', 'matches', 'heartbeat', { name: 'ticker', product_ids: ['BTC-USDT'] }],
      },
    ],
    ready: (f) => count(f, '"type":"snapshot"') === 1,
    idsComparable: true,
  },
  {
    venue: 'coinbase-advanced',
    market: 'spot',
    symbol: 'BTC-USDT',
    wire: 'BTC-USDT',
    path: (s) => s.urls['coinbase-advanced']!.ws,
    subscribe: ['level2', 'market_trades', 'ticker', 'heartbeats'].map((channel) => ({
      type: 'subscribe',
      product_ids: ['BTC-USDT'],
      channel,
    })),
    ready: (f) => count(f, '"channel":"subscriptions"') === 4,
    idsComparable: true,
  },
  {
    venue: 'kraken',
    market: 'spot',
    symbol: 'BTC-USDT',
    wire: 'BTC/USDT',
    depth: 10,
    path: (s) => s.urls.kraken!.ws,
    subscribe: [
      { method: 'subscribe', params: { channel: 'book', symbol: ['BTC/USDT'], depth: 10, snapshot: true }, req_id: 1 },
      { method: 'subscribe', params: { channel: 'trade', symbol: ['BTC/USDT'], snapshot: false }, req_id: 2 },
      { method: 'subscribe', params: { channel: 'ticker', symbol: ['BTC/USDT'] }, req_id: 3 },
    ],
    ready: (f) => count(f, '"success":true') === 3 && count(f, '"type":"snapshot"') >= 2,
    idsComparable: true,
  },
  {
    venue: 'bybit',
    market: 'spot',
    symbol: 'BTC-USDT',
    wire: 'BTCUSDT',
    depth: 50,
    path: (s) => s.urls.bybit!.ws,
    subscribe: [
      { req_id: 'sub1', op: 'subscribe', args: ['orderbook.50.BTCUSDT', 'publicTrade.BTCUSDT', 'tickers.BTCUSDT'] },
    ],
    ready: (f) => count(f, '"op":"subscribe"') === 1 && count(f, '"type":"snapshot"') >= 1,
    idsComparable: false,
    bbo: false,
  },
  {
    venue: 'bybit',
    market: 'perp',
    symbol: 'BTC-USDT-PERP',
    wire: 'BTCUSDT',
    depth: 50,
    path: (s) => s.urls.bybit!.wsPerp!,
    subscribe: [
      { req_id: 'sub1', op: 'subscribe', args: ['orderbook.50.BTCUSDT', 'publicTrade.BTCUSDT', 'tickers.BTCUSDT'] },
    ],
    ready: (f) => count(f, '"op":"subscribe"') === 1 && count(f, '"type":"snapshot"') >= 2,
    idsComparable: false,
  },
  {
    venue: 'okx',
    market: 'perp',
    symbol: 'BTC-USDT-PERP',
    wire: 'BTC-USDT-SWAP',
    path: (s) => s.urls.okx!.ws,
    subscribe: [
      {
        id: '1512',
        op: 'subscribe',
        args: ['books', 'trades', 'tickers', 'bbo-tbt', 'books5', 'mark-price', 'funding-rate'].map((channel) => ({
          channel,
          instId: 'BTC-USDT-SWAP',
        })),
      },
    ],
    ready: (f) => count(f, '"event":"subscribe"') === 7 && count(f, '"action":"snapshot"') === 1,
    idsComparable: true,
  },
];

describe('simulator venues: frames normalize and books stay consistent', () => {
  for (const c of CASES) {
    it(`${c.venue} ${c.market}`, { timeout: 30_000 }, async () => {
      const sim = await startSimulator({
        venues: [c.venue],
        symbols: ['BTC-USDT', 'ETH-USDT'],
        rate: 0,
        seed: 11,
        paused: true,
        clock: 'virtual',
      });
      const client = await Client.connect(c.path(sim));
      try {
        const inst = sim.instruments(c.venue).find((i) => i.spec.canonical === c.symbol);
        assert.ok(inst, `instrument ${c.symbol}`);
        const modelTrades: ModelTrade[] = [];
        sim.onStep((i, step) => {
          if (i === inst) modelTrades.push(...step.trades);
        });
        for (const m of c.subscribe) client.send(m);
        await client.until(() => c.ready(client.frames), 5000, `${c.venue} subscription`);

        let restSnapshot: { lastUpdateId: number; bids: string[][]; asks: string[][] } | undefined;
        let framesBeforeRest = 0;
        if (c.venue === 'binance' || c.venue === 'binance-futures') {
          // Diff stream first, REST snapshot in the middle: the documented sync procedure.
          sim.step(300);
          const api = c.venue === 'binance' ? '/api/v3/depth' : '/fapi/v1/depth';
          const res = await fetch(`${sim.urls[c.venue]!.rest}${api}?symbol=BTCUSDT&limit=5000`);
          assert.equal(res.status, 200);
          restSnapshot = (await res.json()) as typeof restSnapshot;
          await client.barrier(c.venue);
          framesBeforeRest = client.frames.length;
          sim.step(500);
        } else {
          sim.step(800);
        }
        await client.barrier(c.venue);
        assert.ok(modelTrades.length > 5, 'the model traded');

        const result = await verify(c, sim, client.frames, restSnapshot, framesBeforeRest);
        assert.ok(result.bookEvents > 20, `book events: ${result.bookEvents}`);
        if (c.bbo !== false) assert.ok(result.bboChecked > 5, `bbo frames checked: ${result.bboChecked}`);

        // Trades: exactly the model's fills, in order.
        const first = modelTrades[0]!.id;
        // Coinbase Advanced lists the trades of one frame newest first: order by id.
        const got = c.idsComparable
          ? result.trades.filter((t) => Number(t.id) >= first).sort((a, b) => Number(a.id) - Number(b.id))
          : result.trades;
        assert.equal(got.length, modelTrades.length, 'one trade per model fill');
        got.forEach((t, k) => {
          const m = modelTrades[k]!;
          assert.equal(t.side, m.side);
          assert.equal(Math.round(t.price * 10 ** inst.spec.priceExp), m.price);
          assert.equal(Math.round(t.qty * 10 ** inst.spec.sizeExp), m.size);
          if (c.idsComparable) assert.equal(t.id, String(m.id));
        });

        // Final book = model book (within the subscribed depth) = REST snapshot.
        const depth = c.depth ?? 1_000_000;
        for (const side of ['bid', 'ask'] as const) {
          const want = modelLevels(inst.model.book.top(side, depth), inst.spec.priceExp, inst.spec.sizeExp);
          assert.deepEqual(result.book.sorted(side), want, `${side}s equal the model's`);
        }
        await checkRest(c, sim, result.book);
      } finally {
        await client.close();
        await sim.close();
      }
    });
  }
});

async function verify(
  c: Case,
  sim: Simulator,
  frames: string[],
  rest: { lastUpdateId: number; bids: string[][]; asks: string[][] } | undefined,
  framesBeforeRest: number,
): Promise<{ book: LocalBook; trades: TradeEvent[]; bookEvents: number; bboChecked: number }> {
  const norm = new ReferenceNormalizer();
  const book = new LocalBook();
  const trades: TradeEvent[] = [];
  let bookEvents = 0;
  let bboChecked = 0;
  let lastSeq: number | undefined;
  let lastEnvelope = -1;
  let synced = false;
  let kraken: { px: number; qty: number } | undefined;
  if (c.venue === 'kraken') {
    const pairs = (await (await fetch(`${sim.urls.kraken!.rest}/0/public/AssetPairs`)).json()) as {
      result: Record<string, { wsname: string; pair_decimals: number; lot_decimals: number }>;
    };
    const info = Object.values(pairs.result).find((p) => p.wsname.replace('XBT', 'BTC') === c.wire)!;
    kraken = { px: info.pair_decimals, qty: info.lot_decimals };
  }
  // OKX checksums are over the exact strings sent.
  const okxBids = new Map<string, string>();
  const okxAsks = new Map<string, string>();

  for (let idx = 0; idx < frames.length; idx++) {
    const raw = frames[idx]!;
    const events: CanonicalEvent[] = norm.normalize(c.venue, Buffer.from(raw), 0, c.market);
    const reject = events.find((e) => e.type === 'reject');
    assert.equal(reject, undefined, `reject for ${raw.slice(0, 200)}`);
    if (c.venue === 'coinbase-advanced') {
      const n = (JSON.parse(raw) as { sequence_num: number }).sequence_num;
      assert.equal(n, lastEnvelope + 1, 'sequence_num is contiguous per connection');
      lastEnvelope = n;
    }
    for (const e of events) {
      if (e.type === 'trade' && e.symbol === c.symbol) trades.push(e);
      if (e.type === 'bbo' && e.symbol === c.symbol && book.ready) {
        const [bb] = book.sorted('bid');
        const [ba] = book.sorted('ask');
        assert.deepEqual(
          [e.bidPx, e.bidQty, e.askPx, e.askQty],
          [bb![0], bb![1], ba![0], ba![1]],
          `bbo agrees with the book: ${raw.slice(0, 160)}`,
        );
        bboChecked++;
      }
      if (e.type !== 'book' || e.symbol !== c.symbol) continue;
      if (c.venue === 'okx' && raw.includes('"channel":"books5"')) continue;
      bookEvents++;
      const ev: BookEvent = e;
      if (c.venue === 'binance' || c.venue === 'binance-futures') {
        if (idx < framesBeforeRest && !synced && ev.seq! <= rest!.lastUpdateId) continue;
        if (!synced) {
          if (ev.seq! <= rest!.lastUpdateId) continue;
          assert.ok(
            ev.prevSeq! + 1 <= rest!.lastUpdateId + 1 && rest!.lastUpdateId + 1 <= ev.seq!,
            'first event straddles lastUpdateId',
          );
          book.load(
            rest!.bids.map(([p, q]) => [Number(p), Number(q)]),
            rest!.asks.map(([p, q]) => [Number(p), Number(q)]),
          );
          synced = true;
        } else {
          assert.equal(ev.prevSeq, lastSeq, 'depthUpdate chains to the previous u');
        }
        lastSeq = ev.seq;
      } else if (c.venue === 'bybit') {
        if (!ev.snapshot) assert.equal(ev.seq, lastSeq! + 1, 'bybit u +1 per delta');
        lastSeq = ev.seq;
      } else if (c.venue === 'okx') {
        if (ev.snapshot) assert.equal(ev.prevSeq, -1);
        else assert.equal(ev.prevSeq, lastSeq, 'prevSeqId = previous seqId');
        lastSeq = ev.seq;
      }
      book.apply(ev);
      if (c.depth !== undefined && c.venue === 'kraken') book.truncate(c.depth);
      if (c.venue === 'kraken') {
        assert.equal(
          ev.checksum,
          krakenChecksum(book, kraken!.px, kraken!.qty),
          `kraken checksum: ${raw.slice(0, 120)}`,
        );
      }
      if (c.venue === 'okx') {
        const d = (JSON.parse(raw) as { data: Array<{ bids: string[][]; asks: string[][] }> }).data[0]!;
        if (ev.snapshot) {
          okxBids.clear();
          okxAsks.clear();
        }
        for (const [p, s] of d.bids)
          if (s === '0') okxBids.delete(p!);
          else okxBids.set(p!, s!);
        for (const [p, s] of d.asks)
          if (s === '0') okxAsks.delete(p!);
          else okxAsks.set(p!, s!);
        const bids = [...okxBids].sort((a, b) => Number(b[0]) - Number(a[0]));
        const asks = [...okxAsks].sort((a, b) => Number(a[0]) - Number(b[0]));
        assert.equal(ev.checksum, okxChecksum(bids, asks), 'okx legacy checksum');
      }
    }
  }
  if (c.venue === 'binance' || c.venue === 'binance-futures') assert.ok(synced, 'synced from the REST snapshot');
  return { book, trades, bookEvents, bboChecked };
}

async function checkRest(c: Case, sim: Simulator, book: LocalBook): Promise<void> {
  const base = sim.urls[c.venue]!.rest;
  const num = (levels: Array<Array<string | number>>): Array<[number, number]> =>
    levels.map((l) => [Number(l[0]), Number(l[1])]);
  let bids: Array<[number, number]>;
  let asks: Array<[number, number]>;
  switch (c.venue) {
    case 'binance':
    case 'binance-futures':
      return; // checked by the sync procedure above
    case 'coinbase': {
      const r = (await (await fetch(`${base}/products/BTC-USDT/book?level=2`)).json()) as {
        bids: string[][];
        asks: string[][];
        sequence: number;
      };
      assert.equal(typeof r.sequence, 'number');
      bids = num(r.bids);
      asks = num(r.asks);
      break;
    }
    case 'coinbase-advanced': {
      const r = (await (await fetch(`${base}/api/v3/brokerage/market/product_book?product_id=BTC-USDT`)).json()) as {
        pricebook: { bids: Array<{ price: string; size: string }>; asks: Array<{ price: string; size: string }> };
      };
      bids = r.pricebook.bids.map((l) => [Number(l.price), Number(l.size)]);
      asks = r.pricebook.asks.map((l) => [Number(l.price), Number(l.size)]);
      break;
    }
    case 'kraken': {
      const r = (await (await fetch(`${base}/0/public/Depth?pair=XBTUSDT&count=10`)).json()) as {
        result: Record<string, { bids: Array<Array<string | number>>; asks: Array<Array<string | number>> }>;
      };
      const v = Object.values(r.result)[0]!;
      bids = num(v.bids);
      asks = num(v.asks);
      break;
    }
    case 'bybit': {
      const cat = c.market === 'perp' ? 'linear' : 'spot';
      const r = (await (await fetch(`${base}/v5/market/orderbook?category=${cat}&symbol=BTCUSDT&limit=50`)).json()) as {
        retCode: number;
        result: { b: string[][]; a: string[][] };
      };
      assert.equal(r.retCode, 0);
      bids = num(r.result.b);
      asks = num(r.result.a);
      break;
    }
    case 'okx': {
      const r = (await (await fetch(`${base}/api/v5/market/books?instId=BTC-USDT-SWAP&sz=400`)).json()) as {
        code: string;
        data: Array<{ bids: string[][]; asks: string[][] }>;
      };
      assert.equal(r.code, '0');
      bids = num(r.data[0]!.bids);
      asks = num(r.data[0]!.asks);
      break;
    }
  }
  assert.deepEqual(bids, book.sorted('bid'), 'REST bids = streamed book');
  assert.deepEqual(asks, book.sorted('ask'), 'REST asks = streamed book');
}

describe('simulator REST metadata', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ symbols: ['BTC-USDT', 'ETH-USDT'], rate: 0, paused: true });
  });
  after(async () => sim.close());

  it("lists instruments in each venue's shape", { timeout: 10_000 }, async () => {
    const get = async <T>(venue: VenueId, path: string): Promise<T> => {
      const r = await fetch(`${sim.urls[venue]!.rest}${path}`);
      assert.equal(r.status, 200, `${venue} ${path}`);
      return (await r.json()) as T;
    };
    const bi = await get<{
      symbols: Array<{ symbol: string; baseAsset: string; quoteAsset: string; filters: Array<{ filterType: string }> }>;
    }>('binance', '/api/v3/exchangeInfo');
    assert.deepEqual(
      bi.symbols.map((s) => `${s.symbol}:${s.baseAsset}:${s.quoteAsset}`),
      ['BTCUSDT:BTC:USDT', 'ETHUSDT:ETH:USDT'],
    );
    assert.ok(bi.symbols[0]!.filters.some((f) => f.filterType === 'PRICE_FILTER'));
    const bf = await get<{ symbols: Array<{ symbol: string; contractType: string }> }>(
      'binance-futures',
      '/fapi/v1/exchangeInfo',
    );
    assert.deepEqual(
      bf.symbols.map((s) => `${s.symbol}:${s.contractType}`),
      ['BTCUSDT:PERPETUAL', 'ETHUSDT:PERPETUAL'],
    );
    const bt = await get<Array<{ id: number; isBuyerMaker: boolean }>>(
      'binance',
      '/api/v3/trades?symbol=BTCUSDT&limit=5',
    );
    assert.ok(Array.isArray(bt));
    const by = await get<{
      retCode: number;
      result: { list: Array<{ symbol: string; baseCoin: string; contractType: string }> };
    }>('bybit', '/v5/market/instruments-info?category=linear');
    assert.deepEqual(
      by.result.list.map((s) => `${s.symbol}:${s.baseCoin}:${s.contractType}`),
      ['BTCUSDT:BTC:LinearPerpetual', 'ETHUSDT:ETH:LinearPerpetual'],
    );
    const ok = await get<{ code: string; data: Array<{ instId: string; ctVal: string }> }>(
      'okx',
      '/api/v5/public/instruments?instType=SWAP',
    );
    assert.deepEqual(
      ok.data.map((d) => `${d.instId}:${d.ctVal}`),
      ['BTC-USDT-SWAP:0.01', 'ETH-USDT-SWAP:0.1'],
    );
    const cb = await get<Array<{ id: string; quote_increment: string }>>('coinbase', '/products');
    assert.deepEqual(
      cb.map((p) => p.id),
      ['BTC-USDT', 'ETH-USDT'],
    );
    const kr = await get<{ error: string[]; result: Record<string, { wsname: string }> }>(
      'kraken',
      '/0/public/AssetPairs',
    );
    assert.deepEqual(Object.keys(kr.result), ['XBTUSDT', 'ETHUSDT']);
    const unknown = await fetch(`${sim.urls.binance!.rest}/api/v3/depth?symbol=NOPE`);
    assert.equal(unknown.status, 400);
    assert.deepEqual(await unknown.json(), { code: -1121, msg: 'Invalid symbol.' });
  });
});
