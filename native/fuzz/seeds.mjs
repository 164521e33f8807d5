// Writes the seed corpora of the venue fuzz targets from the shared venue
// fixtures (JSON Lines whose records carry the raw frame in `raw`; see
// test/support/fixtures.ts), so no corpus is committed: one seed per frame,
// plus per fixture file its frames in order joined by 0x1E (the separator
// normalize_fuzz.cpp splits on), so book sequences are seeds too.
// Usage: node native/fuzz/seeds.mjs <fixtures-root> <out-dir> [target ...]
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';

/** Fuzz target → fixture folders (kraken-v1 is not a tickwire venue). */
const FOLDERS = {
  binance: ['binance-spot'],
  'binance-futures': ['binance-usdm'],
  coinbase: ['coinbase-exchange'],
  'coinbase-advanced': ['coinbase-advanced'],
  kraken: ['kraken-v2'],
  bybit: ['bybit-v5'],
  okx: ['okx-v5'],
};
const MAX_SEED_BYTES = 64 * 1024; // the targets run with -max_len=65536
const SEPARATOR = Buffer.from([0x1e]);

const [root, out, ...wanted] = process.argv.slice(2);
if (root === undefined || out === undefined) {
  process.stderr.write('usage: node native/fuzz/seeds.mjs <fixtures-root> <out-dir> [target ...]\n');
  process.exit(2);
}
const targets = wanted.length === 0 ? Object.keys(FOLDERS) : wanted.filter((t) => t in FOLDERS);
if (!existsSync(root)) {
  process.stderr.write(`seeds: no fixtures at ${root} (set TICKWIRE_FIXTURES); fuzzing without seeds\n`);
}

function write(dir, bytes) {
  const name = createHash('sha1').update(bytes).digest('hex');
  writeFileSync(join(dir, name), bytes);
}

for (const target of targets) {
  const dir = join(out, target);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let count = 0;
  for (const folder of FOLDERS[target]) {
    const path = join(root, folder);
    if (!existsSync(path)) continue;
    for (const name of readdirSync(path)
      .filter((n) => n.endsWith('.jsonl'))
      .sort()) {
      const frames = [];
      for (const line of readFileSync(join(path, name), 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        const record = JSON.parse(line);
        if (typeof record.raw !== 'string') continue;
        frames.push(Buffer.from(record.raw, 'utf8'));
      }
      for (const frame of frames) {
        if (frame.length > MAX_SEED_BYTES) continue;
        write(dir, frame);
        count++;
      }
      // The file's frames in order, in chunks that stay under the length limit.
      let chunk = [];
      let bytes = 0;
      const flush = () => {
        if (chunk.length > 1) {
          write(dir, Buffer.concat(chunk.flatMap((f, i) => (i === 0 ? [f] : [SEPARATOR, f]))));
          count++;
        }
        chunk = [];
        bytes = 0;
      };
      for (const frame of frames) {
        if (bytes + frame.length + 1 > MAX_SEED_BYTES) flush();
        if (frame.length + 1 > MAX_SEED_BYTES) continue;
        chunk.push(frame);
        bytes += frame.length + 1;
      }
      flush();
    }
  }
  process.stdout.write(`seeds: ${target}: ${count} inputs\n`);
}
