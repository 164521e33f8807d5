import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { venueCode, type VenueId } from '../../src/events';
import { decodeBookRecord, type BookVerdictEvent } from '../../src/engine/book-records';
import { Engine } from '../../src/engine/engine';
import { FRAME_RECORD_TYPE, RecordDecoder } from '../../src/engine/records';
import { EngineStream } from '../../src/engine/stream';

const fixtures = join(__dirname, '..', '..', '..', 'shared', 'fixtures', 'venues');

interface SequenceRecord {
  raw: string;
  seq_group: string;
  seq_index: number;
  expected: {
    type?: string;
    symbol?: string;
    category?: string;
    sync?: { verdict?: string; top_of_book_after?: Top };
    top_of_book_after?: Top;
    checksum?: { match?: boolean };
  };
}
interface Top {
  best_bid?: [string, string] | null;
  best_ask?: [string, string] | null;
}

/** Runs one sequence through a fresh engine; returns the verdict of every frame, in order. */
function runSequence(venue: VenueId, records: SequenceRecord[]): BookVerdictEvent[] {
  const engine = new Engine({
    mode: 'inline',
    pipeline: 'normalize',
    bookVerdicts: true,
    inputCapacity: 1 << 22,
    outputCapacity: 1 << 22,
  });
  const decoder = new RecordDecoder();
  const verdicts: BookVerdictEvent[] = [];
  const stream = new EngineStream(engine, (record) => {
    if (record.type === 16) decoder.decode(record);
    const event = decodeBookRecord(record, decoder);
    if (event?.type === 'book_verdict') verdicts.push(event);
  });
  try {
    for (const r of records) {
      // Binance sequences start with the REST depth snapshot, which the
      // connector delivers wrapped with its symbol.
      const isRest = r.raw.startsWith('{"lastUpdateId"');
      const raw = isRest ? `{"rest":${r.raw},"symbol":"${r.expected.symbol}"}` : r.raw;
      const perp = r.expected.category === 'linear' || r.expected.category === 'inverse';
      stream.push(
        { type: FRAME_RECORD_TYPE, venue: venueCode(venue), flags: perp ? 1 : 0, recvNs: 1_700_000_000_000_000_000n },
        new TextEncoder().encode(raw),
      );
      stream.pump();
    }
  } finally {
    engine.close();
  }
  return verdicts;
}

function expectedVerdict(r: SequenceRecord): string {
  if (r.expected.checksum?.match === false) return 'checksum_mismatch';
  const v = r.expected.sync?.verdict;
  if (v === 'reset') return 'snapshot';
  if (v !== undefined) return v;
  return r.expected.type === 'book_snapshot' ? 'snapshot' : 'apply';
}

const FILES: Array<[VenueId, string]> = [
  ['binance', 'binance-spot/depth_sync_sequence.jsonl'],
  ['binance', 'binance-spot/depth_sync_sequence_derived_gap.jsonl'],
  ['binance-futures', 'binance-usdm/depth_sync_sequence.jsonl'],
  ['binance-futures', 'binance-usdm/depth_sync_sequence_derived_gap.jsonl'],
  ['coinbase', 'coinbase-exchange/level2_sequence.jsonl'],
  ['kraken', 'kraken-v2/book_sequence.jsonl'],
  ['bybit', 'bybit-v5/orderbook_sequence.jsonl'],
  ['bybit', 'bybit-v5/orderbook_sequence_derived_gap.jsonl'],
  ['okx', 'okx-v5/books_sequence.jsonl'],
  ['okx', 'okx-v5/books_sequence_derived_missing_update.jsonl'],
];

for (const [venue, file] of FILES) {
  test(`${file}: every frame gets the fixture's verdict and leaves the fixture's top of book`, () => {
    const records = readFileSync(join(fixtures, file), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as SequenceRecord);
    const groups = new Map<string, SequenceRecord[]>();
    for (const r of records) groups.set(r.seq_group, [...(groups.get(r.seq_group) ?? []), r]);
    let checkedTops = 0;
    for (const [group, members] of groups) {
      members.sort((a, b) => a.seq_index - b.seq_index);
      const verdicts = runSequence(venue, members);
      // Quote frames interleaved in a sequence (Binance bookTicker) concern no book.
      const bookFrames = members.filter((r) => r.expected.type !== 'book_ticker');
      assert.equal(verdicts.length, bookFrames.length, `${group}: one verdict per book frame`);
      bookFrames.forEach((r, i) => {
        const got = verdicts[i]!;
        assert.equal(got.verdict, expectedVerdict(r), `${group} #${r.seq_index}: verdict`);
        const top = r.expected.sync?.top_of_book_after ?? r.expected.top_of_book_after;
        if (top?.best_bid && top.best_ask) {
          assert.ok(got.top, `${group} #${r.seq_index}: the book has a top`);
          assert.deepEqual(
            [got.top.bidPx, got.top.bidQty, got.top.askPx, got.top.askQty],
            [...top.best_bid, ...top.best_ask].map(Number),
            `${group} #${r.seq_index}: top of book`,
          );
          checkedTops++;
        }
      });
      const last = verdicts[verdicts.length - 1]!;
      const failed = ['gap', 'checksum_mismatch'].includes(expectedVerdict(bookFrames[bookFrames.length - 1]!));
      assert.equal(last.state, failed ? 'RESYNCING' : 'VALID', `${group}: state at the end`);
    }
    // Kraken and the derived-gap variants state no top of book; every other file must have given some.
    if (!file.startsWith('kraken') && !file.includes('derived'))
      assert.ok(checkedTops > 0, 'the fixture gave tops to compare');
  });
}
