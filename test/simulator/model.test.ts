// Model, book, formatting and checksum units; same seed ⇒ identical frames.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { OrderBook } from '../../src/simulator/book';
import { crc32, formatUnits, krakenChecksumPart, rfc3339Micros } from '../../src/simulator/format';
import { parseCanonical, specFor } from '../../src/simulator/instruments';
import { SymbolModel } from '../../src/simulator/model';
import { Rng } from '../../src/simulator/rng';
import { startSimulator } from '../../src/simulator/server';
import { okxLegacyChecksum } from '../../src/simulator/venues/okx';
import { Client } from './helpers';

const FIXTURES = '/work/shared/fixtures/venues';

describe('simulator units', () => {
  it('rng is deterministic per seed', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xs = Array.from({ length: 5 }, () => a.u32());
    assert.deepEqual(
      xs,
      Array.from({ length: 5 }, () => b.u32()),
    );
    assert.notDeepEqual(
      xs,
      Array.from({ length: 5 }, () => c.u32()),
    );
  });

  it('formats integer units as decimal text', () => {
    assert.equal(formatUnits(650001, 1, 8), '65000.10000000');
    assert.equal(formatUnits(5, 5, 8), '0.00005000');
    assert.equal(formatUnits(1500, 3, 'trim'), '1.5');
    assert.equal(formatUnits(3000, 3, 'trim'), '3');
    assert.equal(formatUnits(0, 2, 2), '0.00');
    assert.equal(formatUnits(42, 0, 'trim'), '42');
    assert.equal(rfc3339Micros(1_696_613_755_440_295), '2023-10-06T17:35:55.440295Z');
  });

  it('Kraken checksum reproduces the verified worked examples', () => {
    for (const file of ['kraken-v2/book.jsonl', 'kraken-v2/book_sequence.jsonl']) {
      for (const line of readFileSync(`${FIXTURES}/${file}`, 'utf8').split('\n').filter(Boolean)) {
        const rec = JSON.parse(line) as {
          raw: string;
          expected: { checksum?: { value: number; input_string?: string }; bids?: string[][]; asks?: string[][] };
        };
        const ck = rec.expected.checksum;
        if (!ck?.input_string || !rec.expected.asks || !rec.expected.bids || rec.expected.asks.length < 10) continue;
        // From the level texts as written: the same helpers the encoder uses.
        let s = '';
        for (const [p, q] of rec.expected.asks.slice(0, 10)) s += krakenChecksumPart(p!) + krakenChecksumPart(q!);
        for (const [p, q] of rec.expected.bids.slice(0, 10)) s += krakenChecksumPart(p!) + krakenChecksumPart(q!);
        assert.equal(s, ck.input_string);
        assert.equal(crc32(s), ck.value);
      }
    }
    assert.equal(
      crc32(
        '45285210000045286415457195345286615457110945289615456091145290215890660452918154553491452947445474945296135380000452975994554245299518772827452835100000004528341545820154528211000000045281010000000452803154592586452790799000045277633101034527753000000045277315460273745276615445238',
      ),
      3310070434,
    );
  });

  it('OKX legacy checksum matches the documented check strings', () => {
    assert.equal(
      okxLegacyChecksum(
        [
          ['3366.1', '7'],
          ['3366', '6'],
        ],
        [
          ['3366.8', '9'],
          ['3368', '8'],
        ],
      ),
      -1881014294,
    );
    assert.equal(
      okxLegacyChecksum(
        [['3366.1', '7']],
        [
          ['3366.8', '9'],
          ['3368', '8'],
          ['3372', '8'],
        ],
      ),
      831078360,
    );
  });

  it('book: market orders sweep best first and report every touched level', () => {
    const b = new OrderBook();
    b.addLimit('bid', 99, 5);
    b.addLimit('ask', 101, 3);
    b.addLimit('ask', 102, 4);
    b.drainChanges();
    assert.deepEqual(b.market('buy', 5), [
      { price: 101, size: 3 },
      { price: 102, size: 2 },
    ]);
    assert.deepEqual(b.drainChanges(), [
      { side: 'ask', price: 101, size: 0 },
      { side: 'ask', price: 102, size: 2 },
    ]);
    assert.throws(() => b.addLimit('bid', 102, 1), /crossing/);
  });

  it('model: trades, depth changes and top of book are mutually consistent', () => {
    const spec = specFor('binance', parseCanonical('ETH-USDT'));
    const m = new SymbolModel(spec, new Rng(3));
    const shadow = new Map<string, number>();
    for (const [p, s] of m.book.top('bid', 1e6)) shadow.set(`bid${p}`, s);
    for (const [p, s] of m.book.top('ask', 1e6)) shadow.set(`ask${p}`, s);
    let lastId: number | undefined;
    let trades = 0;
    let jumpsOfPrice = 0;
    for (let i = 0; i < 20_000; i++) {
      const before = m.top()!;
      const r = m.step(i);
      for (const t of r.trades) {
        if (lastId !== undefined) assert.equal(t.id, lastId + 1, 'trade ids +1');
        lastId = t.id;
        trades++;
        // A buy lifts asks at or above the previous best ask; a sell hits bids.
        if (t.side === 'buy') assert.ok(t.price >= before.askPx);
        else assert.ok(t.price <= before.bidPx);
      }
      for (const c of r.changes) {
        if (c.size === 0) shadow.delete(`${c.side}${c.price}`);
        else shadow.set(`${c.side}${c.price}`, c.size);
      }
      const top = m.top()!;
      assert.ok(top.bidPx < top.askPx, 'never crossed');
      if (r.top) assert.deepEqual(r.top, top);
      else assert.deepEqual(top, before);
      if (Math.abs(top.bidPx - before.bidPx) > 50) jumpsOfPrice++;
    }
    const now = new Map<string, number>();
    for (const [p, s] of m.book.top('bid', 1e6)) now.set(`bid${p}`, s);
    for (const [p, s] of m.book.top('ask', 1e6)) now.set(`ask${p}`, s);
    assert.deepEqual(shadow, now, 'depth changes replay to the book');
    assert.ok(trades > 1000, `trades: ${trades}`);
    assert.ok(jumpsOfPrice >= 0);
  });
});

describe('simulator determinism', () => {
  async function record(seed: number): Promise<string[]> {
    const sim = await startSimulator({
      venues: ['binance', 'kraken', 'okx'],
      symbols: ['BTC-USDT', 'ETH-USDT'],
      seed,
      rate: 0,
      paused: true,
      clock: 'virtual',
    });
    const b = await Client.connect(
      `${sim.urls.binance!.ws.replace(/\/ws$/, '')}/stream?streams=btcusdt@trade/ethusdt@depth/btcusdt@bookTicker`,
    );
    const k = await Client.connect(sim.urls.kraken!.ws);
    const o = await Client.connect(sim.urls.okx!.ws);
    k.send({ method: 'subscribe', params: { channel: 'book', symbol: ['ETH/USDT'], depth: 25 }, req_id: 1 });
    k.send({ method: 'subscribe', params: { channel: 'trade', symbol: ['BTC/USDT'], snapshot: false }, req_id: 2 });
    o.send({
      id: '1',
      op: 'subscribe',
      args: [
        { channel: 'books', instId: 'ETH-USDT' },
        { channel: 'trades', instId: 'BTC-USDT-SWAP' },
      ],
    });
    await k.waitFor('"type":"snapshot"');
    await o.waitFor('"action":"snapshot"');
    await b.barrier('binance');
    sim.step(1500);
    await b.barrier('binance');
    await k.barrier('kraken');
    await o.barrier('okx');
    // The barrier replies carry a random id: leave them out.
    const barrier = (f: string): boolean => f.includes('"result":[') || f.includes('"method":"pong"') || f === 'pong';
    const frames = [...b.frames, ...k.frames, ...o.frames].filter((f) => !barrier(f));
    await Promise.all([b.close(), k.close(), o.close()]);
    await sim.close();
    return frames;
  }

  it('same seed ⇒ identical frame sequence; another seed ⇒ different', { timeout: 30_000 }, async () => {
    const a = await record(7);
    const b = await record(7);
    const c = await record(8);
    assert.ok(a.length > 500, `frames: ${a.length}`);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });
});
