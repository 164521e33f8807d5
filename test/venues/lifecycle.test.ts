// Per venue against the simulator: subscribe and data into a real ring (read
// back and normalized by the native engine), a malformed frame delivered (the
// engine's reject comes out), an abrupt disconnect survived with backoff and
// subscriptions restored, a stall detected as a dead connection and replaced;
// and on a quiet market a live connection is not declared dead.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VenueId } from '../../src/events';
import { Capture, connectorFor, guarded, waitFor, withSim } from './helpers';

interface Case {
  venue: VenueId;
  symbols: string[];
  /** Canonical symbol whose trades are checked. */
  symbol: string;
}

const CASES: Case[] = [
  { venue: 'binance', symbols: ['BTC-USDT'], symbol: 'BTC-USDT' },
  { venue: 'binance-futures', symbols: ['BTC-USDT-PERP'], symbol: 'BTC-USDT-PERP' },
  { venue: 'coinbase', symbols: ['BTC-USDT'], symbol: 'BTC-USDT' },
  { venue: 'coinbase-advanced', symbols: ['BTC-USDT'], symbol: 'BTC-USDT' },
  { venue: 'kraken', symbols: ['BTC-USDT'], symbol: 'BTC-USDT' },
  { venue: 'bybit', symbols: ['BTC-USDT', 'BTC-USDT-PERP'], symbol: 'BTC-USDT-PERP' },
  { venue: 'okx', symbols: ['BTC-USDT', 'BTC-USDT-PERP'], symbol: 'BTC-USDT' },
];

describe('connector lifecycle against the simulator', { timeout: 120_000 }, () => {
  for (const c of CASES) {
    it(`${c.venue}: subscribe, malformed, disconnect, stall`, async () => {
      await guarded(() =>
        withSim({ venues: [c.venue], symbols: c.symbols, rate: 300 }, async (sim) => {
          const cap = new Capture();
          const { connector, statuses } = connectorFor(sim, c.venue, cap, { symbols: c.symbols });
          try {
            await connector.start();
            const conns = connector.connections().length;
            // Bybit / OKX here: spot + perp; Binance futures: its /public and /market endpoints (2026 layout).
            assert.equal(
              conns,
              (c.symbols.length > 1 && (c.venue === 'bybit' || c.venue === 'okx')) || c.venue === 'binance-futures'
                ? 2
                : 1,
            );
            const subscribed = (): number => statuses.filter((s) => s.state === 'subscribed' && !s.symbol).length;
            const trades = (): number => cap.events.filter((e) => e.type === 'trade' && e.symbol === c.symbol).length;
            const books = (): number => cap.events.filter((e) => e.type === 'book' && e.venue === c.venue).length;
            await waitFor(
              () => subscribed() === conns && trades() > 3 && books() > 3,
              8000,
              'subscribed + trades + books',
            );
            for (const f of cap.frames) {
              assert.equal(
                f.venue,
                ['binance', 'binance-futures', 'coinbase', 'coinbase-advanced', 'kraken', 'bybit', 'okx'].indexOf(
                  c.venue,
                ) + 1,
              );
            }

            // Malformed frame: delivered to the ring; the engine rejects it.
            sim.faults.inject({ venue: c.venue, kind: 'malformed', count: 1 });
            await waitFor(
              () => cap.events.some((e) => e.type === 'reject' && e.venue === c.venue),
              5000,
              'reject event',
            );

            // Abrupt disconnect: reconnect with backoff, subscriptions restored, data again.
            const before = connector.counters().reconnects;
            const subsBefore = subscribed();
            sim.faults.inject({ venue: c.venue, kind: 'disconnect', count: 1 });
            await waitFor(
              () => connector.counters().reconnects > before && subscribed() > subsBefore,
              8000,
              'reconnect',
            );
            assert.ok(statuses.some((s) => s.state === 'reconnecting' && /retry in \d+ ms/.test(s.reason ?? '')));
            let n = trades();
            await waitFor(() => trades() > n + 3, 5000, 'trades after reconnect');

            // Stall: no frames for longer than staleMs -> declared stale, replaced, resubscribed.
            const subs2 = subscribed();
            sim.faults.inject({ venue: c.venue, kind: 'stall', count: 1, durationMs: 5000 });
            await waitFor(() => statuses.some((s) => s.state === 'stale' && !s.symbol), 5000, 'stale detection');
            await waitFor(() => subscribed() > subs2, 8000, 'resubscribed after stall');
            n = trades();
            await waitFor(() => trades() > n + 3, 5000, 'trades after stall');
            assert.ok(connector.counters().stale >= 1);
            assert.ok(connector.counters().frames > 0 && connector.counters().bytes > 0);
            assert.equal(connector.counters().drops, 0);
          } finally {
            await connector.close();
            cap.close();
          }
          assert.equal(connector.counters().connectionsOpen, 0);
          assert.ok(statuses.some((s) => s.state === 'closed' && s.reason === 'shutdown'));
        }),
      );
    });
  }

  it('quiet market: live connections are not declared dead (probes / heartbeats answered)', async () => {
    await guarded(() =>
      withSim({ symbols: ['BTC-USDT', 'BTC-USDT-PERP'], rate: 0 }, async (sim) => {
        const cap = new Capture();
        const all = CASES.map((c) =>
          connectorFor(sim, c.venue, cap, {
            symbols: c.symbols,
            keepAlive: { staleMs: 2000, probeIdleMs: 400, pingIntervalMs: 400 },
          }),
        );
        try {
          await Promise.all(all.map((a) => a.connector.start()));
          await waitFor(
            () => all.every((a) => a.statuses.some((s) => s.state === 'subscribed')),
            8000,
            'all subscribed',
          );
          await new Promise((r) => setTimeout(r, 3500));
          for (const a of all) {
            assert.equal(a.connector.counters().stale, 0, `${a.connector.venue}: stale on a quiet market`);
            assert.equal(a.connector.counters().reconnects, 0, `${a.connector.venue}: reconnected on a quiet market`);
          }
        } finally {
          await Promise.all(all.map((a) => a.connector.close()));
          cap.close();
        }
      }),
    );
  });
});
