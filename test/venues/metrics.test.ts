// Connector state as metrics: FeedManager.counters() has every
// CONNECTOR_METRICS field (numbers) per venue and summed; the gauges follow
// the connections; instrumentStatus() reports per-instrument state; REST
// requests, retries and final errors are counted.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VenueId } from '../../src/events';
import { FeedManager, simulatorVenueUrls } from '../../src/venues/manager';
import { CONNECTOR_METRICS, type ConnectorCounters, type FeedStatusEvent } from '../../src/venues/types';
import { Capture, FAST, connectorFor, guarded, waitFor, withSim } from './helpers';

const KEYS = Object.keys(CONNECTOR_METRICS) as Array<keyof ConnectorCounters>;

describe('connector metrics', { timeout: 60_000 }, () => {
  it('FeedManager.counters(): every field, per venue and total; gauges; instrument status', async () => {
    await guarded(() =>
      withSim(
        { venues: ['binance-futures', 'kraken'], symbols: ['BTC-USDT', 'BTC-USDT-PERP'], rate: 300 },
        async (sim) => {
          const cap = new Capture();
          const prefix = `http://127.0.0.1:${sim.port}`;
          const statuses: FeedStatusEvent[] = [];
          const venue = (v: VenueId, symbols: string[]) => ({
            ...FAST,
            ...simulatorVenueUrls(prefix, v),
            rest: { ...FAST.rest!, attempts: 2 },
            symbols,
            channels: ['trades' as const, 'book' as const],
          });
          const manager = new FeedManager(
            {
              venues: {
                'binance-futures': venue('binance-futures', ['BTC-USDT-PERP']),
                kraken: venue('kraken', ['BTC-USDT']),
              },
            },
            { sink: cap.writer },
          );
          manager.on('status', (e: FeedStatusEvent) => statuses.push(e));
          try {
            await manager.start();
            // binance-futures: /public + /market; kraken: one.
            await waitFor(() => manager.counters().total.connectionsSubscribed === 3, 8000, 'all subscribed');
            await waitFor(() => manager.counters().total.frames > 50, 5000, 'frames');
            const k = manager.counters();
            for (const v of ['binance-futures', 'kraken', 'total'] as const) {
              const c = k[v]!;
              assert.deepEqual(Object.keys(c).sort(), [...KEYS].sort(), `${v}: every metric`);
              for (const key of KEYS) assert.equal(typeof c[key], 'number', `${v}.${key}`);
            }
            for (const key of KEYS)
              assert.equal(k.total[key], k['binance-futures']![key] + k.kraken![key], `total.${key}`);
            assert.equal(k.total.connectionsOpen, 3);
            assert.equal(k['binance-futures']!.instruments, 1);
            assert.ok(k.total.restRequests >= 3, 'metadata + a depth snapshot');
            assert.equal(k.total.restErrors, 0);

            const inst = manager.instrumentStatus();
            assert.deepEqual(
              inst.map((i) => [i.venue, i.symbol, i.venueSymbol, i.market, i.state]),
              [
                ['binance-futures', 'BTC-USDT-PERP', 'BTCUSDT', 'perp', 'subscribed'],
                ['kraken', 'BTC-USDT', 'BTC/USDT', 'spot', 'subscribed'],
              ],
            );
            assert.equal(inst[0]!.resyncs, 1, 'the REST snapshot after subscribing');
            assert.equal(manager.connections().length, 3);
            assert.deepEqual(
              new Set(manager.connections().map((c) => c.venue)),
              new Set(['binance-futures', 'kraken']),
            );

            // A REST snapshot that fails for good: one retry, one error.
            const before = manager.counters()['binance-futures']!;
            sim.faults.inject({ venue: 'binance-futures', kind: 'rest500', count: 2 });
            await manager.resync('binance-futures', 'BTC-USDT-PERP', 'test');
            const after = manager.counters()['binance-futures']!;
            assert.equal(after.restErrors - before.restErrors, 1);
            assert.equal(after.restRetries - before.restRetries, 1);
            assert.equal(after.restRequests - before.restRequests, 2);
            assert.equal(after.resyncsPending, 0);
            assert.equal(manager.instrumentStatus()[0]!.resyncs, 2);

            // An abrupt disconnect: counted, and the gauges come back.
            sim.faults.inject({ venue: 'kraken', kind: 'disconnect', count: 1 });
            await waitFor(() => manager.counters().kraken!.reconnects === 1, 5000, 'reconnect');
            await waitFor(() => manager.counters().total.connectionsSubscribed === 3, 5000, 'resubscribed');
            assert.equal(manager.counters().total.connectionsOpen, 3);
            assert.ok(statuses.some((e) => e.venue === 'kraken' && e.state === 'reconnecting'));
          } finally {
            await manager.close();
            cap.close();
          }
          const k = manager.counters().total;
          assert.equal(k.connectionsOpen, 0);
          assert.equal(k.connectionsSubscribed, 0);
          assert.deepEqual(
            manager.instrumentStatus().map((i) => i.state),
            ['closed', 'closed'],
          );
        },
      ),
    );
  });

  it('instrument state: stale while a ring-full drop awaits its resync', async () => {
    await guarded(() =>
      withSim({ venues: ['binance-futures'], symbols: ['BTC-USDT-PERP'], rate: 300 }, async (sim) => {
        const cap = new Capture();
        const { connector } = connectorFor(sim, 'binance-futures', cap, {
          symbols: ['BTC-USDT-PERP'],
          channels: ['book'],
        });
        // A ring that is always full: every frame (and the resync's REST snapshot) is dropped.
        (connector as unknown as { sink: { write: () => boolean } }).sink = { write: () => false };
        try {
          await connector.start();
          await waitFor(() => connector.counters().drops > 5, 5000, 'drops');
          await waitFor(() => connector.instrumentStatus()[0]!.state === 'stale', 3000, 'instrument stale');
          const s = connector.instrumentStatus()[0]!;
          assert.equal(s.lastReason, 'input ring full');
          assert.ok(s.lastEventTs > 0);
          assert.equal(connector.counters().connectionsSubscribed, 1, 'the connection itself is fine');
        } finally {
          await connector.close();
          cap.close();
        }
      }),
    );
  });
});
