// Every fault kind, observed the way a client would observe it: a sequence
// gap, a duplicate, a reordered update, a malformed frame, a stall, slow
// delivery, an abrupt disconnect, a shutdown notice, a bad checksum, REST
// 500/429 — and each one counted in stats().
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VenueId } from '../../src/events';
import { ReferenceNormalizer } from '../../src/reference/index';
import { parseFaultFlag } from '../../src/simulator/faults';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/server';
import { Client, LocalBook, krakenChecksum } from './helpers';

async function withSim(
  venues: VenueId[],
  fn: (sim: Simulator) => Promise<void>,
  extra: SimulatorOptions = {},
): Promise<void> {
  const sim = await startSimulator({
    venues,
    symbols: ['BTC-USDT'],
    rate: 0,
    paused: true,
    seed: 5,
    clock: 'virtual',
    ...extra,
  });
  try {
    await fn(sim);
  } finally {
    await sim.close();
  }
}

/** Raw Binance depth stream of BTCUSDT (subscribed by URL). */
async function binanceDepth(sim: Simulator): Promise<Client> {
  const c = await Client.connect(`${sim.urls.binance!.ws}/btcusdt@depth`);
  await c.barrier('binance');
  return c;
}

function depthUpdates(frames: string[]): Array<{ U: number; u: number }> {
  const out: Array<{ U: number; u: number }> = [];
  for (const f of frames) {
    if (!f.includes('"depthUpdate"')) continue;
    const m = JSON.parse(f) as { U: number; u: number };
    out.push({ U: m.U, u: m.u });
  }
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('simulator faults', { timeout: 60_000 }, () => {
  it('drop creates sequence gaps', async () => {
    await withSim(['binance'], async (sim) => {
      const c = await binanceDepth(sim);
      sim.faults.inject({ venue: 'binance', kind: 'drop', probability: 0.2 });
      sim.step(300);
      await c.barrier('binance');
      const ups = depthUpdates(c.frames);
      let gaps = 0;
      for (let i = 1; i < ups.length; i++) if (ups[i]!.U !== ups[i - 1]!.u + 1) gaps++;
      assert.ok(gaps > 5, `gaps: ${gaps}`);
      assert.ok(sim.stats().faults.drop >= gaps);
      assert.equal(sim.stats().faultsByVenue.binance?.drop, sim.stats().faults.drop);
      await c.close();
    });
  });

  it('duplicate repeats frames, reorder moves them later', async () => {
    await withSim(['binance'], async (sim) => {
      const c = await binanceDepth(sim);
      sim.faults.inject({ kind: 'duplicate', count: 3 });
      sim.step(100);
      await c.barrier('binance');
      const ups = depthUpdates(c.frames);
      const dups = ups.filter((x, i) => i > 0 && x.u === ups[i - 1]!.u).length;
      assert.equal(dups, 3);
      assert.equal(sim.stats().faults.duplicate, 3);

      const from = c.frames.length;
      sim.faults.inject({ kind: 'reorder', count: 1, window: 2 });
      sim.step(100);
      await c.barrier('binance');
      const later = depthUpdates(c.frames.slice(from));
      const backwards = later.filter((x, i) => i > 0 && x.u < later[i - 1]!.u).length;
      assert.equal(backwards, 1);
      assert.equal(sim.stats().faults.reorder, 1);
      await c.close();
    });
  });

  it('malformed frames fail to parse or are rejected', async () => {
    await withSim(['okx'], async (sim) => {
      const c = await Client.connect(sim.urls.okx!.ws);
      c.send({
        op: 'subscribe',
        args: [
          { channel: 'books', instId: 'BTC-USDT' },
          { channel: 'trades', instId: 'BTC-USDT' },
        ],
      });
      await c.waitFor('"action":"snapshot"');
      const from = c.frames.length;
      sim.faults.inject({ venue: 'okx', kind: 'malformed', count: 6 });
      sim.step(200);
      await c.barrier('okx');
      const norm = new ReferenceNormalizer();
      const bad = c.frames
        .slice(from)
        .filter((f) => norm.normalize('okx', Buffer.from(f), 0).some((e) => e.type === 'reject'));
      assert.equal(bad.length, 6);
      assert.equal(sim.stats().faults.malformed, 6);
      await c.close();
    });
  });

  it('stall holds the socket silent, then delivers; slow trickles', async () => {
    await withSim(['okx'], async (sim) => {
      const c = await Client.connect(sim.urls.okx!.ws);
      c.send({ op: 'subscribe', args: [{ channel: 'books', instId: 'BTC-USDT' }] });
      await c.waitFor('"action":"snapshot"');
      // Through the HTTP control API.
      const res = await fetch(`http://127.0.0.1:${sim.port}/control/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ venue: 'okx', kind: 'stall', count: 1, durationMs: 400 }),
      });
      assert.equal(res.status, 200);
      const from = c.frames.length;
      const t0 = Date.now();
      sim.step(50);
      await sleep(200);
      assert.equal(c.frames.length, from, 'nothing arrives during the stall');
      await c.waitFor('"action":"update"', from, 3000);
      assert.ok(Date.now() - t0 >= 350, 'updates arrive after the stall');
      const stats = (await (await fetch(`http://127.0.0.1:${sim.port}/control/stats`)).json()) as {
        faults: { stall: number };
      };
      assert.equal(stats.faults.stall, 1);

      await c.barrier('okx');
      sim.faults.inject({ venue: 'okx', kind: 'slow', count: 1, durationMs: 1500 });
      const before = c.frames.length;
      sim.step(600);
      await sleep(60);
      const early = c.frames.length - before;
      await c.barrier('okx');
      const total = c.frames.length - before - 1;
      assert.ok(early < total / 2, `slow delivery: ${early} of ${total} after 60 ms`);
      assert.equal(sim.stats().faults.slow, 1);
      await c.close();
    });
  });

  it('disconnect terminates the socket abruptly', async () => {
    await withSim(['bybit'], async (sim) => {
      const c = await Client.connect(sim.urls.bybit!.ws);
      c.send({ op: 'subscribe', args: ['orderbook.50.BTCUSDT'] });
      await c.waitFor('"type":"snapshot"');
      sim.faults.inject({ kind: 'disconnect', count: 1 });
      sim.step(50);
      await c.until(() => c.closeCode !== undefined, 3000, 'close');
      assert.equal(c.closeCode, 1006);
      assert.equal(sim.stats().faults.disconnect, 1);
    });
  });

  it('shutdown sends the venue notice, then closes', async () => {
    await withSim(['binance', 'kraken', 'okx'], async (sim) => {
      const b = await Client.connect(`${sim.urls.binance!.ws.replace(/\/ws$/, '')}/stream?streams=btcusdt@depth`);
      const k = await Client.connect(sim.urls.kraken!.ws);
      k.send({ method: 'subscribe', params: { channel: 'book', symbol: ['BTC/USDT'] } });
      const o = await Client.connect(sim.urls.okx!.ws);
      o.send({ op: 'subscribe', args: [{ channel: 'books', instId: 'BTC-USDT' }] });
      await k.waitFor('"type":"snapshot"');
      await o.waitFor('"action":"snapshot"');
      sim.faults.inject({ kind: 'shutdown', count: 3, durationMs: 100 });
      sim.step(60);
      for (const c of [b, k, o]) await c.until(() => c.closeCode !== undefined, 3000, 'close');
      const norm = new ReferenceNormalizer();
      const bi = b.frames.find((f) => f.includes('serverShutdown'))!;
      assert.match(bi, /^\{"stream":"!serverShutdown","data":\{"e":"serverShutdown","E":\d+\}\}$/);
      assert.deepEqual(norm.normalize('binance', Buffer.from(bi), 0), [
        { type: 'status', venue: 'binance', kind: 'info', detail: 'serverShutdown' },
      ]);
      assert.ok(k.frames.some((f) => f.includes('"system":"maintenance"')));
      assert.ok(o.frames.some((f) => f.includes('"event":"notice"') && f.includes('"code":"64008"')));
      for (const c of [b, k, o]) assert.equal(c.closeCode, 1001);
      assert.equal(sim.stats().faults.shutdown, 3);
    });
  });

  it('checksum corrupts a Kraken book checksum', async () => {
    await withSim(['kraken'], async (sim) => {
      const c = await Client.connect(sim.urls.kraken!.ws);
      c.send({ method: 'subscribe', params: { channel: 'book', symbol: ['BTC/USDT'], depth: 10 } });
      await c.waitFor('"type":"snapshot"');
      sim.faults.inject({ venue: 'kraken', kind: 'checksum', count: 1 });
      sim.step(150);
      await c.barrier('kraken');
      const norm = new ReferenceNormalizer();
      const book = new LocalBook();
      let bad = 0;
      let checked = 0;
      for (const f of c.frames) {
        for (const e of norm.normalize('kraken', Buffer.from(f), 0)) {
          if (e.type !== 'book') continue;
          book.apply(e);
          book.truncate(10);
          checked++;
          if (e.checksum !== krakenChecksum(book, 1, 8)) bad++;
        }
      }
      assert.ok(checked > 10);
      assert.equal(bad, 1);
      assert.equal(sim.stats().faults.checksum, 1);
      await c.close();
    });
  });

  it('REST answers 500 and 429 with the venue bodies', async () => {
    await withSim(['binance', 'okx', 'kraken'], async (sim) => {
      sim.faults.inject({ venue: 'binance', kind: 'rest429', count: 1 });
      sim.faults.inject({ venue: 'okx', kind: 'rest500', count: 1 });
      const r1 = await fetch(`${sim.urls.binance!.rest}/api/v3/depth?symbol=BTCUSDT`);
      assert.equal(r1.status, 429);
      assert.equal(r1.headers.get('retry-after'), '1');
      assert.equal(((await r1.json()) as { code: number }).code, -1003);
      const r2 = await fetch(`${sim.urls.binance!.rest}/api/v3/depth?symbol=BTCUSDT`);
      assert.equal(r2.status, 200, 'count: 1 is spent');
      const r3 = await fetch(`${sim.urls.okx!.rest}/api/v5/market/books?instId=BTC-USDT`);
      assert.equal(r3.status, 500);
      assert.equal(((await r3.json()) as { code: string }).code, '50001');
      sim.faults.inject({ venue: 'kraken', kind: 'rest429', probability: 1 });
      const r4 = await fetch(`${sim.urls.kraken!.rest}/0/public/AssetPairs`);
      assert.equal(r4.status, 429);
      assert.deepEqual(await r4.json(), { error: ['EAPI:Rate limit exceeded'] });
      const del = await fetch(`http://127.0.0.1:${sim.port}/control/faults`, { method: 'DELETE' });
      assert.equal(del.status, 200);
      assert.equal((await fetch(`${sim.urls.kraken!.rest}/0/public/AssetPairs`)).status, 200);
      const s = sim.stats();
      assert.equal(s.faults.rest429, 2);
      assert.equal(s.faults.rest500, 1);
      const badSpec = await fetch(`http://127.0.0.1:${sim.port}/control/faults`, {
        method: 'POST',
        body: '{"kind":"meteor"}',
      });
      assert.equal(badSpec.status, 400);
    });
  });

  it('parses --fault flags', () => {
    assert.deepEqual(parseFaultFlag('drop:0.01'), { kind: 'drop', probability: 0.01 });
    assert.deepEqual(parseFaultFlag('stall:0.5:300@kraken'), {
      kind: 'stall',
      probability: 0.5,
      durationMs: 300,
      venue: 'kraken',
    });
    assert.throws(() => parseFaultFlag('drop:2'));
    assert.throws(() => parseFaultFlag('nope'));
    assert.throws(() => parseFaultFlag('drop@mtgox'));
  });
});
