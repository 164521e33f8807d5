// Resync requests: Binance writes the REST depth snapshot into the ring as
// {"rest":<body>,"symbol":"BTCUSDT"}; the other venues unsubscribe +
// resubscribe the book channel and a fresh snapshot arrives. The engine's
// requests (output records of type 24) reach the connector through the
// FeedManager. REST 429 / 500 are retried with backoff. A full ring counts
// drops, logs them rate-limited and resyncs the connection's books.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VenueId } from '../../src/events';
import { RecordDecoder, RECORD_TYPES } from '../../src/engine/records';
import { createRingBuffer, RingReader, RingWriter, ringStats } from '../../src/engine/ring';
import { FeedManager, RESYNC_RECORD_TYPE, simulatorVenueUrls } from '../../src/venues/manager';
import type { FeedStatusEvent, Logger } from '../../src/venues/types';
import { Capture, FAST, connectorFor, guarded, sleep, waitFor, withSim } from './helpers';

const SNAPSHOT_FRAME: Record<VenueId, (text: string) => boolean> = {
  binance: (t) => t.startsWith('{"rest":{"lastUpdateId":') && t.endsWith(',"symbol":"BTCUSDT"}'),
  'binance-futures': (t) => t.startsWith('{"rest":{"lastUpdateId":') && t.endsWith(',"symbol":"BTCUSDT"}'),
  coinbase: (t) => t.startsWith('{"type":"snapshot","product_id":"BTC-USDT"'),
  'coinbase-advanced': (t) =>
    t.startsWith('{"channel":"l2_data"') && t.includes('"type":"snapshot","product_id":"BTC-USDT"'),
  kraken: (t) => t.startsWith('{"channel":"book","type":"snapshot"') && t.includes('"symbol":"BTC/USDT"'),
  bybit: (t) => t.startsWith('{"topic":"orderbook.50.BTCUSDT","type":"snapshot"'),
  okx: (t) => t.startsWith('{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot"'),
};

describe('resync, REST retries, ring full', { timeout: 120_000 }, () => {
  for (const venue of Object.keys(SNAPSHOT_FRAME) as VenueId[]) {
    const symbol = venue === 'binance-futures' ? 'BTC-USDT-PERP' : 'BTC-USDT';
    it(`${venue}: resync brings a fresh snapshot into the ring`, async () => {
      await guarded(() =>
        withSim({ venues: [venue], symbols: [symbol], rate: 200 }, async (sim) => {
          const cap = new Capture();
          const { connector, statuses } = connectorFor(sim, venue, cap, { symbols: [symbol], channels: ['book'] });
          const isSnap = SNAPSHOT_FRAME[venue];
          try {
            await connector.start();
            await waitFor(() => cap.frames.some((f) => isSnap(f.text)), 5000, 'first snapshot');
            await sleep(300);
            cap.pump();
            const before = cap.frames.filter((f) => isSnap(f.text)).length;
            const resyncs = connector.counters().resyncs;
            await connector.resync(symbol, 'test');
            await waitFor(
              () => cap.frames.filter((f) => isSnap(f.text)).length > before,
              5000,
              'snapshot after resync',
            );
            assert.equal(connector.counters().resyncs, resyncs + 1);
            assert.ok(statuses.some((s) => s.symbol === symbol && /resync \(test\)/.test(s.reason ?? '')));
            // Data keeps flowing afterwards.
            const n = cap.frames.length;
            await waitFor(() => cap.frames.length > n + 5, 5000, 'frames after resync');
          } finally {
            await connector.close();
            cap.close();
          }
        }),
      );
    });
  }

  it('engine resync records (type 24) are routed to the connector by the FeedManager', async () => {
    await guarded(() =>
      withSim({ venues: ['binance', 'kraken'], symbols: ['BTC-USDT'], rate: 100 }, async (sim) => {
        const cap = new Capture();
        const prefix = `http://127.0.0.1:${sim.port}`;
        const statuses: FeedStatusEvent[] = [];
        const manager = new FeedManager(
          {
            venues: {
              binance: { symbols: ['BTC-USDT'], channels: ['book'], ...FAST, ...simulatorVenueUrls(prefix, 'binance') },
              kraken: { symbols: ['BTC-USDT'], channels: ['book'], ...FAST, ...simulatorVenueUrls(prefix, 'kraken') },
            },
          },
          { sink: cap.writer, onStatus: (e) => statuses.push(e) },
        );
        try {
          await manager.start();
          await waitFor(
            () => statuses.filter((s) => s.state === 'subscribed' && !s.symbol).length === 2,
            5000,
            'subscribed',
          );
          await sleep(400);
          // An output ring as the engine writes it: symbol record (type 16) then resync records (type 24).
          const out = createRingBuffer(4096);
          const w = new RingWriter(out);
          w.write({ type: RECORD_TYPES.symbol, venue: 0, aux: 7 }, Buffer.from('BTC-USDT'));
          w.write({ type: RESYNC_RECORD_TYPE, venue: 1, aux: 7, flags: 1 }, new Uint8Array(16)); // binance, gap
          w.write({ type: RESYNC_RECORD_TYPE, venue: 5, aux: 7, flags: 2 }, new Uint8Array(16)); // kraken, checksum
          const decoder = new RecordDecoder();
          let routed = 0;
          new RingReader(out).drain((rec) => {
            decoder.decode(rec);
            if (manager.handleEngineRecord(rec, decoder)) routed++;
          });
          assert.equal(routed, 2);
          await waitFor(
            () =>
              statuses.some((s) => s.venue === 'binance' && s.reason === 'resync (gap): REST snapshot') &&
              statuses.some((s) => s.venue === 'kraken' && s.reason === 'resync (checksum_mismatch): resubscribed'),
            5000,
            'both resyncs',
          );
          const k = manager.counters();
          assert.ok(k.binance!.resyncs >= 2 && k.kraken!.resyncs === 1 && k.total.resyncs === k.binance!.resyncs + 1);
        } finally {
          await manager.close();
          cap.close();
        }
      }),
    );
  });

  it('REST 429 and 500 are retried with backoff (metadata and snapshot)', async () => {
    await guarded(() =>
      withSim({ venues: ['binance'], symbols: ['BTC-USDT'], rate: 100 }, async (sim) => {
        const cap = new Capture();
        const warnings: string[] = [];
        const logger: Logger = {
          debug: () => undefined,
          info: () => undefined,
          error: () => undefined,
          warn: (_o, m) => void warnings.push(m ?? ''),
        };
        const { connector } = connectorFor(sim, 'binance', cap, { symbols: ['BTC-USDT'], channels: ['book'], logger });
        try {
          sim.faults.inject({ venue: 'binance', kind: 'rest500', count: 1 });
          await connector.start(); // exchangeInfo: 500 then 200
          assert.equal(connector.instruments()[0]?.venueSymbol, 'BTCUSDT');
          await waitFor(() => cap.frames.some((f) => f.text.startsWith('{"rest":')), 5000, 'startup snapshot');
          sim.faults.inject({ venue: 'binance', kind: 'rest429', count: 1 });
          sim.faults.inject({ venue: 'binance', kind: 'rest500', count: 1 });
          const n = cap.frames.filter((f) => f.text.startsWith('{"rest":')).length;
          const t0 = Date.now();
          await connector.resync('BTC-USDT', 'test');
          // Retry-After: 1 on the 429 is honoured.
          assert.ok(Date.now() - t0 >= 900, 'waited for Retry-After');
          await waitFor(
            () => cap.frames.filter((f) => f.text.startsWith('{"rest":')).length > n,
            5000,
            'snapshot after retries',
          );
          assert.ok(connector.counters().restRetries >= 3);
          assert.ok(warnings.filter((w) => w === 'REST request retried').length >= 3);
          assert.equal(sim.stats().faults.rest429, 1);
        } finally {
          await connector.close();
          cap.close();
        }
      }),
    );
  });

  it('a full ring: drops counted (also in the ring header), logged rate-limited, books resynced', async () => {
    await guarded(() =>
      withSim({ venues: ['kraken'], symbols: ['BTC-USDT'], rate: 400 }, async (sim) => {
        const sab = createRingBuffer(1 << 14); // nobody reads it: it fills up
        const warnings: string[] = [];
        const statuses: FeedStatusEvent[] = [];
        const log: Logger = {
          debug: () => undefined,
          info: () => undefined,
          error: () => undefined,
          warn: (_o, m) => void warnings.push(m ?? ''),
        };
        const manager = new FeedManager(
          {
            venues: {
              kraken: {
                symbols: ['BTC-USDT'],
                ...FAST,
                ...simulatorVenueUrls(`http://127.0.0.1:${sim.port}`, 'kraken'),
              },
            },
          },
          { sink: new RingWriter(sab), logger: log, onStatus: (e) => statuses.push(e) },
        );
        try {
          await manager.start();
          await waitFor(() => (manager.counters().kraken?.drops ?? 0) > 50, 8000, 'drops');
          await waitFor(() => (manager.counters().kraken?.resyncs ?? 0) >= 1, 5000, 'resync after drop');
        } finally {
          await manager.close();
        }
        const k = manager.counters().kraken!;
        assert.equal(ringStats(sab).dropped, k.drops, 'ring header counts the same drops');
        assert.equal(warnings.filter((w) => w.startsWith('input ring full')).length, 1, 'logged once per 5 s');
        assert.ok(
          statuses.some((s) => s.symbol === 'BTC-USDT' && s.state === 'stale' && s.reason === 'input ring full'),
        );
      }),
    );
  });
});
