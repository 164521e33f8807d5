// Binance USD-M futures 2026 endpoint split: by default depth and bookTicker
// go to `/public/stream`, trade and markPrice to `/market/stream` (one
// connection set each); `endpoints: 'legacy'` puts everything on `/stream`.
// The simulator serves both layouts and refuses a stream asked of the wrong
// half of the split.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Market } from '../../src/events';
import { BinanceFuturesConnector } from '../../src/venues/binance';
import type { ConnectorOptions, Logger } from '../../src/venues/types';
import { Client } from '../simulator/helpers';
import { Capture, connectorFor, guarded, waitFor, withSim } from './helpers';

const SYMBOL = 'BTC-USDT-PERP';

/** Records venue errors (a stream refused by the endpoint shows up as one). */
function errorLog(): { logger: Logger; errors: string[] } {
  const errors: string[] = [];
  const noop = (): void => undefined;
  return {
    errors,
    logger: {
      debug: noop,
      info: noop,
      error: (_o: object, msg?: string) => errors.push(msg ?? ''),
      warn: (o: object, msg?: string) => {
        if (msg === 'venue error') errors.push(JSON.stringify(o));
      },
    },
  };
}

class UrlProbe extends BinanceFuturesConnector {
  url(market: Market, endpoint?: string): string {
    return this.wsUrl(market, endpoint);
  }
}

function probe(opts: Partial<ConnectorOptions>): UrlProbe {
  return new UrlProbe({ symbols: [SYMBOL], sink: { write: () => true }, ...opts });
}

describe('binance-futures endpoint layout', { timeout: 60_000 }, () => {
  it('default URLs: the 2026 split; legacy still selectable', () => {
    const split = probe({});
    assert.equal(split.url('perp', 'public'), 'wss://fstream.binance.com/public/stream');
    assert.equal(split.url('perp', 'market'), 'wss://fstream.binance.com/market/stream');
    const legacy = probe({ endpoints: 'legacy' });
    assert.equal(legacy.url('perp'), 'wss://fstream.binance.com/stream');
    // A configured /market URL implies its /public sibling unless that is given too.
    const custom = probe({ wsUrl: 'wss://x.test/market/stream' });
    assert.equal(custom.url('perp', 'public'), 'wss://x.test/public/stream');
    assert.equal(
      probe({ wsUrl: 'wss://x.test/market/stream', wsUrlPublic: 'wss://y.test/p' }).url('perp', 'public'),
      'wss://y.test/p',
    );
  });

  for (const layout of ['split', 'legacy'] as const) {
    it(`${layout}: every channel arrives, streams on the right endpoints, no venue error`, async () => {
      await guarded(() =>
        withSim({ venues: ['binance-futures'], symbols: [SYMBOL], rate: 300 }, async (sim) => {
          const cap = new Capture();
          const { logger, errors } = errorLog();
          const base = `ws://127.0.0.1:${sim.port}/binance-futures`;
          const { connector, statuses } = connectorFor(sim, 'binance-futures', cap, {
            symbols: [SYMBOL],
            logger,
            ...(layout === 'legacy' ? { endpoints: 'legacy', wsUrl: `${base}/stream` } : {}),
          });
          try {
            await connector.start();
            const conns = connector.connections();
            if (layout === 'split') {
              assert.equal(conns.length, 2);
              const pub = conns.find((c) => c.endpoint === 'public')!;
              const mkt = conns.find((c) => c.endpoint === 'market')!;
              assert.equal(pub.url, `${base}/public/stream`);
              assert.equal(mkt.url, `${base}/market/stream`);
              assert.deepEqual([...pub.topics].sort(), ['btcusdt@bookTicker', 'btcusdt@depth@100ms']);
              assert.deepEqual([...mkt.topics].sort(), ['btcusdt@markPrice@1s', 'btcusdt@trade']);
            } else {
              assert.equal(conns.length, 1);
              assert.equal(conns[0]!.url, `${base}/stream`);
              assert.equal(conns[0]!.endpoint, undefined);
            }
            const kinds = (): Set<string> => new Set(cap.events.map((e) => e.type));
            await waitFor(
              () =>
                statuses.filter((s) => s.state === 'subscribed' && !s.symbol).length >= conns.length &&
                ['trade', 'book', 'bbo', 'derivative'].every((k) => kinds().has(k)),
              8000,
              'trade, book, bbo and derivative (mark) events',
            );
            assert.equal(connector.counters().connectionsSubscribed, conns.length);
          } finally {
            await connector.close();
            cap.close();
          }
          assert.deepEqual(errors, []);
          assert.ok(!cap.events.some((e) => e.type === 'reject'), 'no engine rejects');
        }),
      );
    });
  }

  it('simulator: /public and /market refuse each other’s streams; legacy /stream serves all', async () => {
    await guarded(() =>
      withSim({ venues: ['binance-futures'], symbols: [SYMBOL], rate: 0 }, async (sim) => {
        const u = sim.urls['binance-futures']!;
        assert.equal(u.wsPublic, `ws://127.0.0.1:${sim.port}/binance-futures/public/ws`);
        assert.equal(u.wsMarket, `ws://127.0.0.1:${sim.port}/binance-futures/market/ws`);
        const pub = await Client.connect(u.wsPublic!);
        const mkt = await Client.connect(u.wsMarket!);
        const old = await Client.connect(u.ws);
        try {
          const ask = async (c: Client, params: string[], id: number): Promise<string> => {
            c.send({ method: 'SUBSCRIBE', params, id });
            await waitFor(() => c.frames.some((f) => f.includes(`"id":${id}`)), 3000, `reply ${id}`);
            return c.frames.find((f) => f.includes(`"id":${id}`))!;
          };
          assert.equal(await ask(pub, ['btcusdt@depth@100ms', 'btcusdt@bookTicker'], 1), '{"result":null,"id":1}');
          assert.match(await ask(pub, ['btcusdt@trade'], 2), /"error".*not served on \/public/);
          assert.equal(
            await ask(mkt, ['btcusdt@trade', 'btcusdt@markPrice@1s', 'btcusdt@aggTrade'], 3),
            '{"result":null,"id":3}',
          );
          assert.match(await ask(mkt, ['btcusdt@depth'], 4), /"error".*not served on \/market/);
          assert.equal(await ask(old, ['btcusdt@depth', 'btcusdt@trade'], 5), '{"result":null,"id":5}');
          sim.step(200);
          await waitFor(
            () =>
              pub.frames.some((f) => f.includes('depthUpdate')) && mkt.frames.some((f) => f.includes('"e":"trade"')),
            3000,
            'data on both endpoints',
          );
          assert.ok(!pub.frames.some((f) => f.includes('"e":"trade"')), 'no trades on /public');
          assert.ok(!mkt.frames.some((f) => f.includes('depthUpdate')), 'no depth on /market');
        } finally {
          for (const c of [pub, mkt, old]) await c.close();
        }
      }),
    );
  });
});
