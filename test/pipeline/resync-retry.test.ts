// A resync whose snapshot never arrives (lost or malformed on the wire) must
// not leave a book RESYNCING forever: the pipeline asks the source again after
// RESYNC_RETRY_MS, doubling the wait, and stops once the book is VALID.
// Real recorded Bybit frames through the real engine; a source that records
// what it is asked.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import pino from 'pino';
import { marketCode, venueCode, type VenueId } from '../../src/events';
import { FRAME_RECORD_TYPE } from '../../src/engine/records';
import { validateConfig } from '../../src/pipeline/config';
import { Pipeline, RESYNC_RETRY_MS, type FrameSource, type FrameSourceContext } from '../../src/pipeline/pipeline';
import { emptyCounters } from '../../src/venues/types';
import { FIXTURE_ROOT } from '../support/fixtures';

const frames = readFileSync(join(FIXTURE_ROOT, 'bybit-v5', 'orderbook_sequence.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => (JSON.parse(l) as { raw: string }).raw);

class ScriptedSource implements FrameSource {
  readonly resyncs: string[] = [];
  requests = 0;
  private t = 1_786_310_819_100_000_000n;
  constructor(private readonly ctx: FrameSourceContext) {}
  start = async (): Promise<void> => undefined;
  close = async (): Promise<void> => undefined;
  venues = (): VenueId[] => ['bybit'];
  counters = () => ({ total: emptyCounters(), bybit: emptyCounters() });
  handleEngineRecord(record: { type: number }): boolean {
    if (record.type !== 24) return false;
    this.requests++;
    return true;
  }
  async resync(venue: VenueId, symbol: string, reason: string): Promise<void> {
    this.resyncs.push(`${venue}:${symbol}:${reason}`);
  }
  send(raw: string): void {
    this.t += 1_000_000n;
    const meta = { type: FRAME_RECORD_TYPE, venue: venueCode('bybit'), flags: marketCode('perp'), recvNs: this.t };
    assert.equal(this.ctx.sink.write(meta, Buffer.from(raw)), true);
  }
}

describe('resync retry', () => {
  it('asks again while the book stays RESYNCING, backing off, and stops once it is VALID', async () => {
    const config = validateConfig({
      venues: { bybit: { symbols: ['SOL-USDT-PERP'] } },
      sink: { output: 'stdout' },
      observability: { port: -1 },
    });
    let source: ScriptedSource | undefined;
    const p = new Pipeline({
      config,
      log: pino({ level: 'silent' }),
      stdout: new Writable({ write: (_c, _e, cb) => cb() }),
      source: (ctx) => (source = new ScriptedSource(ctx)),
    });
    try {
      const s = source!;
      s.send(frames[0]!); // snapshot
      s.send(frames[1]!);
      p.pump();
      assert.equal(p.books.get('bybit:SOL-USDT-PERP')?.state, 'VALID');
      s.send(frames[3]!); // frames[2] never arrives: a gap
      p.pump();
      assert.equal(p.books.get('bybit:SOL-USDT-PERP')?.state, 'RESYNCING');
      assert.equal(s.requests, 1, 'the engine asked once');
      const t0 = Date.now();
      p.retryResyncs(t0 + RESYNC_RETRY_MS - 100);
      assert.deepEqual(s.resyncs, [], 'not before the wait');
      p.retryResyncs(t0 + RESYNC_RETRY_MS + 100);
      assert.deepEqual(s.resyncs, ['bybit:SOL-USDT-PERP:still resyncing']);
      p.retryResyncs(t0 + 2 * RESYNC_RETRY_MS + 200);
      assert.equal(s.resyncs.length, 1, 'the wait doubled');
      p.retryResyncs(t0 + 3 * RESYNC_RETRY_MS + 300);
      assert.equal(s.resyncs.length, 2);
      assert.equal(p.counters.resyncRetries, 2);
      s.send(frames[0]!); // the snapshot finally arrives
      p.pump();
      assert.equal(p.books.get('bybit:SOL-USDT-PERP')?.state, 'VALID');
      p.retryResyncs(t0 + 100 * RESYNC_RETRY_MS);
      assert.equal(s.resyncs.length, 2, 'a VALID book is not asked for');
    } finally {
      await p.stop();
    }
  });
});
