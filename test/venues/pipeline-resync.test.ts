// The whole resync loop with real pieces: simulator → connectors → input ring
// → native engine (normalize + books) → resync record → FeedManager → the one
// instrument's connector → fresh snapshot → book VALID again, while the other
// venues' books stay VALID throughout.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VenueId } from '../../src/events';
import { decodeBookRecord, type BookStatusEvent } from '../../src/engine/book-records';
import { Engine } from '../../src/engine/engine';
import { RecordDecoder } from '../../src/engine/records';
import { FeedManager, simulatorVenueUrls } from '../../src/venues/manager';
import { FAST, guarded, sleep, waitFor, withSim } from './helpers';

const VENUES: VenueId[] = ['binance', 'bybit', 'okx', 'kraken'];

describe('gap → resync of one instrument through the real engine', { timeout: 120_000 }, () => {
  for (const victim of VENUES) {
    it(`a ${victim} book delta dropped by the exchange is detected, that book alone resyncs, and returns to VALID`, async () => {
      await guarded(() =>
        withSim({ venues: VENUES, symbols: ['BTC-USDT'], rate: 300 }, async (sim) => {
          const engine = new Engine({
            mode: 'inline',
            pipeline: 'normalize',
            inputCapacity: 1 << 22,
            outputCapacity: 1 << 24,
          });
          const prefix = `http://127.0.0.1:${sim.port}`;
          const venues = Object.fromEntries(
            VENUES.map((v) => [
              v,
              { symbols: ['BTC-USDT'], channels: ['book'], ...FAST, ...simulatorVenueUrls(prefix, v) },
            ]),
          );
          const manager = new FeedManager({ venues }, { sink: engine.writer });
          const decoder = new RecordDecoder();
          const statuses: BookStatusEvent[] = [];
          let resyncRecords = 0;
          const pump = setInterval(() => {
            engine.poll();
            engine.reader.drain((record) => {
              decoder.decode(record);
              if (manager.handleEngineRecord(record, decoder)) resyncRecords++;
              const event = decodeBookRecord(record, decoder);
              if (event?.type === 'book_status') statuses.push(event);
            });
          }, 5);
          const state = (venue: VenueId): string | undefined => statuses.filter((s) => s.venue === venue).at(-1)?.state;
          try {
            await manager.start();
            await waitFor(() => VENUES.every((v) => state(v) === 'VALID'), 10_000, 'every book VALID');
            const before = statuses.length;
            // Bybit, OKX and Binance number their deltas; Kraken's checksum catches the loss.
            sim.faults.inject({ venue: victim, kind: 'drop', count: 1 });
            await waitFor(
              () => statuses.slice(before).some((s) => s.venue === victim && s.state === 'RESYNCING'),
              10_000,
              `${victim} book RESYNCING`,
            );
            await waitFor(() => state(victim) === 'VALID', 10_000, `${victim} book VALID again`);
            await sleep(200);
            const after = statuses.slice(before);
            const reason = after.find((s) => s.venue === victim && s.state === 'RESYNCING')!.reason;
            assert.ok(['gap', 'checksum_mismatch'].includes(reason), `reason ${reason}`);
            assert.ok(resyncRecords >= 1, 'the engine asked for a resync');
            for (const other of VENUES.filter((v) => v !== victim)) {
              assert.ok(!after.some((s) => s.venue === other && s.state !== 'VALID'), `${other} stayed VALID`);
            }
            assert.equal(engine.stats().input.dropped, 0);
          } finally {
            clearInterval(pump);
            await manager.close();
            engine.close();
          }
        }),
      );
    });
  }
});
