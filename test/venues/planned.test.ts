// Make-before-break: a planned-disconnect notice (Binance serverShutdown,
// Kraken status maintenance, OKX notice 64008) or the configured maximum
// connection age opens the new connection before the old one closes; the
// trades in the ring have no gap and no duplicate id, and the overlap's
// duplicates were removed by the connector (counted), with no reconnect.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VenueId } from '../../src/events';
import { Capture, assertContiguousUnique, connectorFor, guarded, sleep, tradeIdsOf, waitFor, withSim } from './helpers';

interface Case {
  venue: VenueId;
  how: 'notice' | 'max-age';
}

const CASES: Case[] = [
  { venue: 'binance', how: 'notice' },
  { venue: 'binance', how: 'max-age' },
  { venue: 'kraken', how: 'notice' },
  { venue: 'okx', how: 'notice' },
];

describe('make-before-break', { timeout: 90_000 }, () => {
  for (const c of CASES) {
    it(`${c.venue} (${c.how}): no gap, no duplicate trade ids`, async () => {
      await guarded(() =>
        withSim({ venues: [c.venue], symbols: ['BTC-USDT'], rate: 400 }, async (sim) => {
          const cap = new Capture();
          const { connector, statuses } = connectorFor(sim, c.venue, cap, {
            symbols: ['BTC-USDT'],
            channels: ['trades', 'book'],
            overlapMs: 300,
            keepAlive: { staleMs: 3000, probeIdleMs: 500, pingIntervalMs: 500 },
            ...(c.how === 'max-age' ? { maxConnectionAgeMs: 1200 } : {}),
          });
          try {
            await connector.start();
            await waitFor(() => statuses.some((s) => s.state === 'subscribed'), 5000, 'subscribed');
            await sleep(400);
            if (c.how === 'notice') sim.faults.inject({ venue: c.venue, kind: 'shutdown', count: 1, durationMs: 1500 });
            await waitFor(() => connector.counters().rotations >= 1, 5000, 'rotation');
            await waitFor(
              () => statuses.some((s) => s.state === 'closed' && s.reason === 'replaced'),
              5000,
              'old closed',
            );
            await sleep(400);
          } finally {
            await connector.close();
            cap.close();
          }
          const k = connector.counters();
          assert.equal(k.reconnects, 0, 'a planned disconnect is not a reconnect');
          assert.ok(k.duplicates > 0, 'overlap duplicates removed');
          const ids = new Set(statuses.map((s) => s.connection));
          assert.ok(ids.size >= 2, 'a second connection was opened');
          // Old and new connection both delivered frames into the ring.
          assert.ok(new Set(cap.frames.map((f) => f.aux)).size >= 2);
          const trades = tradeIdsOf(cap.events, c.venue, 'BTC-USDT');
          assert.ok(trades.length > 20, `enough trades (${trades.length})`);
          assertContiguousUnique(trades, `${c.venue} trades`);
          // Book deltas also arrived without a repeat: each sequenced delta at most once.
          if (c.venue === 'okx') {
            const seqs = cap.events.flatMap((e) =>
              e.type === 'book' && !e.snapshot && e.seq !== undefined ? [e.seq] : [],
            );
            assert.equal(new Set(seqs).size, seqs.length, 'okx book seqIds unique');
          }
          if (c.venue === 'binance') {
            // Deltas only: a REST snapshot's lastUpdateId is, rightly, some delta's u.
            const us = cap.events.flatMap((e) =>
              e.type === 'book' && !e.snapshot && e.seq !== undefined ? [e.seq] : [],
            );
            assert.equal(new Set(us).size, us.length, 'binance depth u unique');
            const sorted = [...us].sort((a, b) => a - b);
            assert.ok(
              sorted.every((u, i) => i === 0 || u > sorted[i - 1]!),
              'depth u strictly rising',
            );
          }
        }),
      );
    });
  }
});
