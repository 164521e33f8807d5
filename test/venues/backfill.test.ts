// Trade backfill: after an abrupt disconnect, trades made while the client was
// away are fetched from the venue's REST trades endpoint and written with ring
// flag 0x100; together with the live trades every id appears exactly once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VenueId } from '../../src/events';
import { FLAG_BACKFILLED } from '../../src/venues/types';
import { Capture, assertContiguousUnique, connectorFor, guarded, sleep, tradeIdsOf, waitFor, withSim } from './helpers';

/** Trade ids written in a frame (whatever the venue spelling). */
function frameTradeIds(text: string): number[] {
  const out: number[] = [];
  for (const m of text.matchAll(/"(?:t|trade_id|tradeId)":"?(\d+)/g)) out.push(Number(m[1]));
  return out;
}

const VENUES: VenueId[] = ['binance', 'coinbase', 'okx'];

describe('trade backfill after a reconnect', { timeout: 60_000 }, () => {
  for (const venue of VENUES) {
    it(`${venue}: gap filled from REST, marked 0x100`, async () => {
      await guarded(() =>
        withSim({ venues: [venue], symbols: ['BTC-USDT'], rate: 0, paused: true, clock: 'virtual' }, async (sim) => {
          const cap = new Capture();
          const { connector, statuses } = connectorFor(sim, venue, cap, {
            symbols: ['BTC-USDT'],
            channels: ['trades'],
            keepAlive: { staleMs: 20_000, probeIdleMs: 0, pingIntervalMs: 0 },
            backoff: { baseMs: 300, maxMs: 300, stableMs: 60_000 },
          });
          try {
            await connector.start();
            await waitFor(() => statuses.some((s) => s.state === 'subscribed'), 5000, 'subscribed');
            sim.step(400);
            await waitFor(() => tradeIdsOf(cap.events, venue, 'BTC-USDT').length >= 5, 5000, 'live trades');
            const subs = statuses.filter((s) => s.state === 'subscribed' && !s.symbol).length;
            sim.faults.inject({ venue, kind: 'disconnect', count: 1 });
            // The fault fires on the next data frame: step until the socket is cut, then (synchronously, before
            // the client can reconnect) make trades nobody receives — fewer than the 50 the simulator's REST keeps.
            for (let i = 0; i < 200 && sim.stats().faults.disconnect === 0; i++) sim.step(1);
            sim.step(120);
            await waitFor(() => connector.counters().reconnects === 1, 5000, 'disconnect seen');
            await waitFor(
              () => statuses.filter((s) => s.state === 'subscribed' && !s.symbol).length > subs,
              5000,
              'resubscribed',
            );
            // Step slowly until the first live trade has shown the gap and the REST backfill is in.
            const deadline = Date.now() + 5000;
            while (connector.counters().backfilledTrades === 0 && Date.now() < deadline) {
              sim.step(4);
              await sleep(25);
            }
            assert.ok(connector.counters().backfilledTrades > 0, 'backfilled');
            sim.step(100);
            const last = Math.max(
              ...sim
                .instruments(venue)[0]!
                .model.lastTrades(1)
                .map((t) => t.id),
            );
            await waitFor(() => Math.max(...tradeIdsOf(cap.events, venue, 'BTC-USDT')) === last, 5000, 'last trade');
          } finally {
            await connector.close();
            cap.close();
          }
          const backfilled = cap.frames.filter((f) => (f.flags & FLAG_BACKFILLED) !== 0);
          assert.ok(backfilled.length > 0);
          assert.equal(
            backfilled.reduce((n, f) => n + frameTradeIds(f.text).length, 0),
            connector.counters().backfilledTrades,
          );
          for (const f of cap.frames) assert.equal(f.flags & 1, 0, 'spot market code kept');
          // Every trade the model made from the first one seen on: live or backfilled, each exactly once.
          assertContiguousUnique(tradeIdsOf(cap.events, venue, 'BTC-USDT'), `${venue} trades`);
        }),
      );
    });
  }
});
