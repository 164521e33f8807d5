// Writes the frame streams of the tinybench suites (bench/run.ts) as TSV files
// for the native harness: one frame per line, `venue<TAB>flags<TAB>frame`; a
// line starting with `!` is a setup frame, written once before the timed rounds.
// Usage: node --import tsx bench/native/gen-frames.ts <out-dir>
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { venueCode } from '../../src/events';
import { bybitBook } from '../bybit-book';
import { mixedStream } from '../mixed-stream';

const out = process.argv[2] ?? '.';
const fixtures = join(__dirname, '..', '..', '..', 'shared', 'fixtures', 'venues');
const raw = (folder: string, file: string, index = 0): string =>
  (
    JSON.parse(
      readFileSync(join(fixtures, folder, file), 'utf8')
        .split('\n')
        .filter(Boolean)[index]!,
    ) as { raw: string }
  ).raw;

const binance = venueCode('binance');
const bybit = venueCode('bybit');
const line = (venue: number, flags: number, frame: string, setup = false) =>
  `${setup ? '!' : ''}${venue}\t${flags}\t${frame}`;

// The normalize suite's trade and quote frames (bench/run.ts SAMPLES), one file each.
for (const [file, venue, flags, frame] of [
  ['binance-trade', binance, 0, raw('binance-spot', 'trade.jsonl')],
  ['binance-bookticker', binance, 0, raw('binance-spot', 'bookTicker.jsonl')],
  ['coinbase-match', venueCode('coinbase'), 0, raw('coinbase-exchange', 'match.jsonl', 1)],
  ['bybit-trade', bybit, 1, raw('bybit-v5', 'publicTrade.jsonl', 1)],
  ['okx-trades', venueCode('okx'), 0, raw('okx-v5', 'trades.jsonl', 1)],
] as const) {
  writeFileSync(join(out, `${file}.tsv`), line(venue, flags, frame) + '\n');
}
for (const perDelta of [1, 10, 100]) {
  const { snapshot, deltas } = bybitBook(1000, perDelta, 20_000);
  writeFileSync(
    join(out, `bybit-book-${perDelta}.tsv`),
    [line(bybit, 1, snapshot, true), ...deltas.map((d) => line(bybit, 1, d))].join('\n') + '\n',
  );
}
{
  // bench/mixed-stream.ts; engine_bench gives every round a fresh engine, so event time never runs backwards.
  const { snapshot, frames } = mixedStream(20_000);
  const lines = [line(venueCode(snapshot.venue), snapshot.flags, snapshot.text, true)];
  for (const f of frames) lines.push(line(venueCode(f.venue), f.flags, f.text));
  writeFileSync(join(out, 'mixed.tsv'), lines.join('\n') + '\n');
}
