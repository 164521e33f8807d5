// REST trade history endpoints agree with the model (and so with the trades
// streamed): Kraken /0/public/Trades (since, count, paging cursor), Bybit
// /v5/market/recent-trade (WebSocket ids; spot at most 60), Coinbase
// Advanced /api/v3/brokerage/market/products/{id}/ticker (limit required).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSimulator, type Simulator } from '../../src/simulator/server';
import type { ModelTrade } from '../../src/simulator/model';
import type { VenueId } from '../../src/events';

describe('simulator REST trades', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({
      venues: ['kraken', 'bybit', 'coinbase-advanced'],
      symbols: ['BTC-USDT', 'BTC-USDT-PERP'],
      rate: 0,
      paused: true,
      clock: 'virtual',
    });
    sim.step(6000);
  });
  after(async () => sim.close());

  const trades = (venue: VenueId, market = 'spot'): ModelTrade[] =>
    sim
      .instruments(venue)
      .find((i) => i.market === market)!
      .model.lastTrades(1_000_000);
  const get = async <T>(venue: VenueId, path: string): Promise<T> => {
    const r = await fetch(`${sim.urls[venue]!.rest}${path}`);
    assert.equal(r.status, 200, `${venue} ${path}`);
    return (await r.json()) as T;
  };

  it('kraken Trades: since (s or ns cursor), count, ascending rows with trade ids', { timeout: 10_000 }, async () => {
    const all = trades('kraken');
    assert.ok(all.length > 100);
    type Reply = { error: string[]; result: Record<string, unknown> & { last: string } };
    const latest = await get<Reply>('kraken', '/0/public/Trades?pair=XBTUSDT&count=10');
    assert.deepEqual(latest.error, []);
    const rows = latest.result.XBTUSDT as Array<[string, string, number, string, string, string, number]>;
    assert.deepEqual(
      rows.map((r) => r[6]),
      all.slice(-10).map((t) => t.id),
    );
    assert.match(rows[0]![0], /^\d+\.\d+$/);
    assert.ok(rows.every((r) => (r[3] === 'b' || r[3] === 's') && r[4] === 'm'));
    // since in seconds is exclusive; the cursor `last` (ns) pages on.
    const pivot = all[all.length - 50]!;
    const page1 = await get<Reply>('kraken', `/0/public/Trades?pair=XBTUSDT&count=20&since=${pivot.ts / 1e6}`);
    const ids1 = (page1.result.XBTUSDT as unknown[][]).map((r) => r[6]);
    assert.deepEqual(
      ids1,
      all
        .filter((t) => t.ts > pivot.ts)
        .slice(0, 20)
        .map((t) => t.id),
    );
    const page2 = await get<Reply>('kraken', `/0/public/Trades?pair=XBTUSDT&count=20&since=${page1.result.last}`);
    assert.equal((page2.result.XBTUSDT as unknown[][])[0]![6], (ids1.at(-1) as number) + 1);
    const bad = await get<{ error: string[] }>('kraken', '/0/public/Trades?pair=NOPE');
    assert.deepEqual(bad.error, ['EQuery:Unknown asset pair']);
  });

  it('bybit recent-trade: the WebSocket ids, newest first, spot at most 60', { timeout: 10_000 }, async () => {
    type Reply = { retCode: number; result: { list: Array<{ execId: string; side: string; time: string }> } };
    const spot = await get<Reply>('bybit', '/v5/market/recent-trade?category=spot&symbol=BTCUSDT&limit=1000');
    assert.equal(spot.result.list.length, 60);
    const all = trades('bybit');
    assert.equal(spot.result.list[0]!.execId, String(2_290_000_000_000_000_000n + BigInt(all.at(-1)!.id)));
    const lin = await get<Reply>('bybit', '/v5/market/recent-trade?category=linear&symbol=BTCUSDT&limit=200');
    assert.equal(lin.result.list.length, Math.min(200, trades('bybit', 'perp').length));
    assert.match(lin.result.list[0]!.execId, /^[0-9a-f]{8}-[0-9a-f]{4}-/);
  });

  it('coinbase-advanced ticker: the last `limit` trades, newest first, maker side', { timeout: 10_000 }, async () => {
    type Reply = { trades: Array<{ trade_id: string; product_id: string; side: string }>; best_bid: string };
    const r = await get<Reply>('coinbase-advanced', '/api/v3/brokerage/market/products/BTC-USDT/ticker?limit=25');
    const all = trades('coinbase-advanced');
    assert.deepEqual(
      r.trades.map((t) => t.trade_id),
      all
        .slice(-25)
        .reverse()
        .map((t) => String(t.id)),
    );
    assert.equal(r.trades[0]!.side, all.at(-1)!.side === 'buy' ? 'SELL' : 'BUY');
    const missing = await fetch(
      `${sim.urls['coinbase-advanced']!.rest}/api/v3/brokerage/market/products/BTC-USDT/ticker`,
    );
    assert.equal(missing.status, 400);
    await missing.arrayBuffer();
  });
});
