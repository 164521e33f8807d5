// `npm run bench [-- --filter ring,normalize --json out.json --time 500 --rounds 5]`:
// tinybench suites, one per stage, each comparing implementations side by
// side in the same run. Inputs are the shared fixture frames and seeded
// synthetic books, so runs are comparable. Results: bench/RESULTS.md.
import { execSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tardis from 'tardis-dev';
import { venueCode, type TradeEvent, type VenueId } from '../src/events';
import { Engine } from '../src/engine/engine';
import { RecordDecoder } from '../src/engine/records';
import { createRingBuffer, RingReader, RingWriter, ringStats } from '../src/engine/ring';
import { ReferenceNormalizer } from '../src/reference';
import { encodeValue, getSchema } from '../src/sink/schemas';
import { bybitBook } from './bybit-book';
import { mixedStream } from './mixed-stream';
import { signalsSuite } from './signals';
import { runSinkSuite } from './sink';

const BATCH = 256;
const TARDIS_FROM_BYTES = 'tardis-dev (frame bytes → string → JSON.parse → mapper, as its real-time feed)';
const TARDIS_FROM_STRING = 'tardis-dev (from a decoded string: JSON.parse → mapper)';
// Frames per call of the thread-mode engine task: ~2 ms of engine work, so waking its thread is noise.
const THREAD_BATCH = 4096;
const fixtures = join(__dirname, '..', '..', 'shared', 'fixtures', 'venues');
const encoder = new TextEncoder();

interface Row {
  suite: string;
  name: string;
  /** Operations per task call (e.g. frames in a batch): ns/op = latency / opsPerCall. */
  opsPerCall: number;
  /** Median over the rounds of each round's mean. */
  nsPerOp: number;
  opsPerSec: number;
  /** Each round's mean ns/op, in round order. */
  roundsNs: number[];
  samples: number;
}

type Task = { name: string; opsPerCall: number; fn: () => void };
type Suite = { name: string; tasks: () => Task[]; cleanup?: () => void };

function fixtureRaw(folder: string, file: string, index = 0): string {
  const lines = readFileSync(join(fixtures, folder, file), 'utf8')
    .split('\n')
    .filter(Boolean);
  return (JSON.parse(lines[index]!) as { raw: string }).raw;
}

// ---- inputs ----------------------------------------------------------------

interface Sample {
  label: string;
  venue: VenueId;
  perp: boolean;
  raw: string;
  /** tardis-dev's exchange id and mapper, where it maps this feed. */
  tardis?: { exchange: string; kind: 'trades' | 'bookChanges' | 'bookTickers'; wrap?: (m: unknown) => unknown };
}

const binanceStream = (stream: string) => (m: unknown) => ({ stream, data: m });

const SAMPLES: Sample[] = [
  {
    label: 'binance trade',
    venue: 'binance',
    perp: false,
    raw: fixtureRaw('binance-spot', 'trade.jsonl'),
    tardis: { exchange: 'binance', kind: 'trades', wrap: binanceStream('bnbbtc@trade') },
  },
  {
    label: 'binance bookTicker',
    venue: 'binance',
    perp: false,
    raw: fixtureRaw('binance-spot', 'bookTicker.jsonl'),
    tardis: { exchange: 'binance', kind: 'bookTickers', wrap: binanceStream('bnbusdt@bookTicker') },
  },
  {
    label: 'binance depthUpdate',
    venue: 'binance',
    perp: false,
    raw: fixtureRaw('binance-spot', 'depth_sync_sequence.jsonl', 2),
  },
  {
    label: 'binance-futures aggTrade',
    venue: 'binance-futures',
    perp: true,
    raw: fixtureRaw('binance-usdm', 'aggTrade.jsonl'),
  },
  {
    label: 'coinbase match',
    venue: 'coinbase',
    perp: false,
    raw: fixtureRaw('coinbase-exchange', 'match.jsonl', 1),
    tardis: { exchange: 'coinbase', kind: 'trades' },
  },
  {
    label: 'coinbase l2update',
    venue: 'coinbase',
    perp: false,
    raw: fixtureRaw('coinbase-exchange', 'level2_sequence.jsonl', 1),
  },
  { label: 'kraken book update', venue: 'kraken', perp: false, raw: fixtureRaw('kraken-v2', 'book_sequence.jsonl', 1) },
  {
    label: 'bybit publicTrade',
    venue: 'bybit',
    perp: true,
    raw: fixtureRaw('bybit-v5', 'publicTrade.jsonl', 1),
    tardis: { exchange: 'bybit', kind: 'trades' },
  },
  {
    label: 'bybit orderbook delta',
    venue: 'bybit',
    perp: true,
    raw: fixtureRaw('bybit-v5', 'orderbook_sequence.jsonl', 2),
  },
  {
    label: 'okx trades',
    venue: 'okx',
    perp: false,
    raw: fixtureRaw('okx-v5', 'trades.jsonl', 1),
    tardis: { exchange: 'okex', kind: 'trades' },
  },
  { label: 'okx books update', venue: 'okx', perp: false, raw: fixtureRaw('okx-v5', 'books_sequence.jsonl', 1) },
];

// ---- suites ------------------------------------------------------------------

function ringSuite(): Suite {
  return {
    name: 'ring',
    tasks: () => {
      const tasks: Task[] = [];
      for (const size of [64, 512]) {
        const payload = new Uint8Array(size - 24).fill(7); // record of `size` bytes with its header
        const sab = createRingBuffer(1 << 20);
        const w = new RingWriter(sab);
        const r = new RingReader(sab);
        const meta = { type: 1 };
        tasks.push({
          name: `TS→TS write+read ${size} B records`,
          opsPerCall: BATCH,
          fn: () => {
            // Staged, then published with one store per batch (docs/ring.md allows it).
            for (let i = 0; i < BATCH; i++) w.write(meta, payload, false);
            w.flush();
            r.drain(() => {});
          },
        });
        tasks.push({
          name: `TS→TS write+read ${size} B records, head published per record`,
          opsPerCall: BATCH,
          fn: () => {
            for (let i = 0; i < BATCH; i++) w.write(meta, payload);
            r.drain(() => {});
          },
        });
        const engine = new Engine({
          pipeline: 'echo',
          inputCapacity: 1 << 20,
          outputCapacity: 1 << 20,
          prefault: true,
        });
        tasks.push({
          name: `TS→C++→TS (echo engine) ${size} B records`,
          opsPerCall: BATCH,
          fn: () => {
            for (let i = 0; i < BATCH; i++) engine.writer.write(meta, payload, false);
            engine.poll(); // publishes the staged batch, then handles it
            engine.reader.drain(() => {});
          },
        });
      }
      return tasks;
    },
  };
}

function normalizeSuite(): Suite {
  const engines: Engine[] = [];
  return {
    name: 'normalize',
    tasks: () => {
      const tasks: Task[] = [];
      const reference = new ReferenceNormalizer();
      for (const s of SAMPLES) {
        const bytes = encoder.encode(s.raw);
        const meta = { type: 1, venue: venueCode(s.venue), flags: s.perp ? 1 : 0, recvNs: 1_700_000_000_000_000_000n };
        // Books and signals off: this suite measures the normalizer alone.
        const engine = new Engine({
          pipeline: 'normalize',
          books: false,
          signals: false,
          inputCapacity: 1 << 22,
          outputCapacity: 1 << 24,
          prefault: true, // as the pipeline runs them: no page fault on the first lap
        });
        engines.push(engine);
        const decoder = new RecordDecoder();
        tasks.push({
          name: `${s.label}: native, batched through the ring`,
          opsPerCall: BATCH,
          fn: () => {
            for (let i = 0; i < BATCH; i++) engine.writer.write(meta, bytes, false);
            engine.poll();
            // Symbol records still go to the decoder: the next task shares this engine.
            engine.reader.drain((rec) => rec.type === 16 && decoder.decode(rec));
          },
        });
        tasks.push({
          name: `${s.label}: native + decode to JS objects`,
          opsPerCall: BATCH,
          fn: () => {
            for (let i = 0; i < BATCH; i++) engine.writer.write(meta, bytes, false);
            engine.poll();
            engine.reader.drain((rec) => decoder.decode(rec));
          },
        });
        tasks.push({
          name: `${s.label}: TS reference`,
          opsPerCall: BATCH,
          fn: () => {
            for (let i = 0; i < BATCH; i++)
              reference.normalize(s.venue, bytes, 1_700_000_000_000_000, s.perp ? 'perp' : 'spot');
          },
        });
        if (s.tardis) {
          const t = s.tardis;
          const mapperFactory =
            t.kind === 'trades'
              ? tardis.normalizeTrades
              : t.kind === 'bookChanges'
                ? tardis.normalizeBookChanges
                : tardis.normalizeBookTickers;
          const mapper = (mapperFactory as (e: string, d: Date) => { map(m: unknown, d: Date): Iterable<unknown> })(
            t.exchange,
            new Date('2024-01-01'),
          );
          const now = new Date();
          // The frame as ws hands it over: bytes. tardis-dev's real-time feed reads frames through ws's
          // createWebSocketStream in object mode, which turns each text frame into a string (msg.toString()),
          // then JSON.parse and the mapper: the row the targets compare with, from the same bytes as the
          // native and TS reference rows. The second row starts from an already decoded string, for reference.
          const frame = Buffer.from(bytes);
          tasks.push({
            name: `${s.label}: ${TARDIS_FROM_BYTES}`,
            opsPerCall: BATCH,
            fn: () => {
              for (let i = 0; i < BATCH; i++) {
                const parsed: unknown = JSON.parse(frame.toString());
                for (const _ of mapper.map(t.wrap ? t.wrap(parsed) : parsed, now)) void _;
              }
            },
          });
          tasks.push({
            name: `${s.label}: ${TARDIS_FROM_STRING}`,
            opsPerCall: BATCH,
            fn: () => {
              for (let i = 0; i < BATCH; i++) {
                const parsed: unknown = JSON.parse(s.raw);
                for (const _ of mapper.map(t.wrap ? t.wrap(parsed) : parsed, now)) void _;
              }
            },
          });
        }
      }
      return tasks;
    },
    cleanup: () => engines.forEach((e) => e.close()),
  };
}

function bookSuite(): Suite {
  const engines: Engine[] = [];
  return {
    name: 'book',
    tasks: () =>
      [1, 10, 100].map((perDelta) => {
        const { snapshot, deltas } = bybitBook(1000, perDelta, 200_000);
        const engine = new Engine({
          pipeline: 'normalize',
          signals: false,
          inputCapacity: 1 << 24,
          outputCapacity: 1 << 25,
          prefault: true,
        });
        engines.push(engine);
        const meta = { type: 1, venue: venueCode('bybit'), flags: 1, recvNs: 1_700_000_000_000_000_000n };
        const snapshotBytes = encoder.encode(snapshot);
        const encoded = deltas.map((d) => encoder.encode(d));
        let next = 0;
        return {
          name: `apply a ${perDelta}-level delta to a 1000-level book (parse + normalize + book)`,
          opsPerCall: BATCH,
          fn: () => {
            for (let i = 0; i < BATCH; i++) {
              // The deltas' u runs on from the snapshot's: starting the stream over needs the snapshot again
              // (once per 200,000 deltas), or every delta after it would be a gap and cost next to nothing.
              if (next === 0) engine.writer.write(meta, snapshotBytes, false);
              engine.writer.write(meta, encoded[next]!, false);
              next = (next + 1) % encoded.length;
            }
            engine.poll();
            engine.reader.drain(() => {});
          },
        };
      }),
    cleanup: () => engines.forEach((e) => e.close()),
  };
}

function engineSuite(): Suite {
  // The live engine of each task; one that starts over replaces its own (a closed engine kept here would keep its rings).
  const engines: Engine[] = [];
  return {
    name: 'engine',
    tasks: () => {
      // bench/mixed-stream.ts: trades, quotes and 10-level deltas, advancing in event time.
      const { snapshot, frames } = mixedStream(100_000);
      const encoded = frames.map((f) => ({
        meta: { type: 1, venue: venueCode(f.venue), flags: f.flags, recvNs: f.recvNs },
        bytes: encoder.encode(f.text),
      }));
      const snapshotMeta = {
        type: 1,
        venue: venueCode(snapshot.venue),
        flags: snapshot.flags,
        recvNs: snapshot.recvNs,
      };
      const snapshotBytes = encoder.encode(snapshot.text);
      const tasks: Task[] = [];
      for (const [label, options, mode] of [
        ['normalize only', { books: false, signals: false }, 'inline'],
        ['normalize + books + all default signals', {}, 'inline'],
        ['normalize + books + all default signals', {}, 'thread'],
      ] as const) {
        const open = () => {
          // Rings touched up front as in the pipeline; 4 + 16 MiB, so touching them costs ~10 ns a frame over a lap.
          return new Engine({
            pipeline: 'normalize',
            mode,
            ...options,
            inputCapacity: 1 << 22,
            outputCapacity: 1 << 24,
            prefault: true,
          });
        };
        const slot = engines.push(open()) - 1;
        let engine = engines[slot]!;
        let next = 0;
        if (mode === 'thread') {
          // The product's thread mode: the engine drains the input ring on its own thread (its own core here),
          // while this thread writes frames and drains the output, as the pipeline does. Per call the engine takes
          // a batch of THREAD_BATCH frames; the call ends when it has taken them all and its output is drained.
          tasks.push({
            name: `full engine per frame, mixed stream, thread mode: the engine on its own core, JS writing and draining (${label})`,
            opsPerCall: THREAD_BATCH,
            fn: () => {
              for (let i = 0; i < THREAD_BATCH; i++) {
                if (next === 0) {
                  engine.close();
                  engine = engines[slot] = open();
                  engine.writer.write(snapshotMeta, snapshotBytes, false);
                }
                const f = encoded[next]!;
                if (!engine.writer.write(f.meta, f.bytes, false)) throw new Error('input ring full: batch too large');
                next = (next + 1) % encoded.length;
                if ((i & (BATCH - 1)) === BATCH - 1) engine.writer.flush(); // the engine starts while we write on
              }
              engine.writer.flush();
              while (ringStats(engine.input).usedBytes !== 0) engine.reader.drain(() => {});
              engine.reader.drain(() => {});
            },
          });
          continue;
        }
        tasks.push({
          name: `full engine per frame, mixed stream (${label})`,
          opsPerCall: BATCH,
          fn: () => {
            for (let i = 0; i < BATCH; i++) {
              if (next === 0) {
                // Starting the stream over would send event time back by minutes (every trade late):
                // a fresh engine instead (once per 400,000 frames), which then needs the book snapshot.
                engine.close();
                engine = engines[slot] = open();
                engine.writer.write(snapshotMeta, snapshotBytes, false);
              }
              const f = encoded[next]!;
              engine.writer.write(f.meta, f.bytes, false);
              next = (next + 1) % encoded.length;
            }
            engine.poll();
            engine.reader.drain(() => {});
          },
        });
      }
      return tasks;
    },
    cleanup: () => engines.forEach((e) => e.close()),
  };
}

function encodeSuite(): Suite {
  return {
    name: 'encode',
    tasks: () => {
      const reference = new ReferenceNormalizer();
      const [trade] = reference.normalize(
        'binance',
        encoder.encode(fixtureRaw('binance-spot', 'trade.jsonl')),
        1,
        'spot',
      );
      const schema = getSchema('tick.trade');
      return (['json', 'binary'] as const).map((encoding) => ({
        name: `encode a trade for Kafka (${encoding})`,
        opsPerCall: 1,
        fn: () => void encodeValue(schema, trade as TradeEvent, encoding),
      }));
    },
  };
}

const SUITES: Record<string, () => Suite> = {
  ring: ringSuite,
  normalize: normalizeSuite,
  book: bookSuite,
  engine: engineSuite,
  signals: signalsSuite,
  encode: encodeSuite,
};

function machine() {
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    // not a git checkout
  }
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    commit,
    date: new Date().toISOString(),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Issue #3's ratios, from this run's rows: each native frame against the TS reference and tardis-dev. */
function printNormalizeRatios(rows: Row[]): void {
  const ns = (label: string, variant: string) =>
    rows.find((r) => r.suite === 'normalize' && r.name === `${label}: ${variant}`)?.nsPerOp;
  console.table(
    SAMPLES.map((s) => {
      const native = ns(s.label, 'native, batched through the ring')!;
      const reference = ns(s.label, 'TS reference')!;
      const ratio = (other: number | undefined) => (other === undefined ? '' : `${(other / native).toFixed(1)}x`);
      return {
        frame: s.label,
        'native ns': native.toFixed(1),
        'ref / native': ratio(reference),
        'tardis / native': ratio(ns(s.label, TARDIS_FROM_BYTES)),
        'tardis from a string / native': ratio(ns(s.label, TARDIS_FROM_STRING)),
      };
    }),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      filter: { type: 'string' },
      json: { type: 'string' },
      time: { type: 'string', default: '400' },
      rounds: { type: 'string', default: '5' },
    },
  });
  const time = Number(values.time);
  const rounds = Number(values.rounds);
  if (!(time > 0) || !Number.isInteger(rounds) || rounds < 1) {
    throw new Error(`--time must be a positive number of ms and --rounds a positive integer`);
  }
  const wanted = values.filter?.split(',').map((s) => s.trim()) ?? Object.keys(SUITES);
  // `sink` (a real Kafka broker, Java) runs only when asked for: --filter sink (bench/sink.ts).
  const unknown = wanted.filter((w) => !(w in SUITES) && w !== 'sink');
  if (unknown.length > 0)
    throw new Error(`unknown suite(s) ${unknown.join(', ')}; known: ${Object.keys(SUITES).join(', ')}, sink`);
  // tinybench is ESM-only; this file is CommonJS like the rest of the package.
  const { Bench } = await import('tinybench');
  const info = machine();
  console.log(`tickwire bench — ${info.cpu}, ${info.cores} cores, Node ${info.node}, commit ${info.commit}`);
  const rows: Row[] = [];
  for (const name of wanted) {
    if (name === 'sink') {
      // One timed burst per case: a single round.
      rows.push(...(await runSinkSuite()).map((r) => ({ ...r, roundsNs: [r.nsPerOp] })));
      continue;
    }
    const suite = SUITES[name]!();
    const tasks = suite.tasks();
    const roundsNs: number[][] = tasks.map(() => []);
    const samples = tasks.map(() => 0);
    // The host's speed drifts by up to 2x within minutes: the suite runs in interleaved rounds, so every task
    // sees the same mix of fast and slow moments, and the median round is reported. Figures compared with each
    // other (native against tardis-dev, say) then come from the same stretch of time, not minutes apart.
    for (let round = 0; round < rounds; round++) {
      const bench = new Bench({ time: time / rounds, warmupTime: round === 0 ? 100 : 20 });
      for (const t of tasks) bench.add(t.name, t.fn);
      await bench.run();
      bench.tasks.forEach((task, i) => {
        const result = task.result as unknown as {
          state: string;
          error?: unknown;
          latency?: { mean: number; samplesCount: number };
        };
        if (!result.latency) {
          // A task that threw is reported, never silently left out.
          throw new Error(`task '${task.name}' did not complete (${result.state}): ${String(result.error)}`);
        }
        roundsNs[i]!.push((result.latency.mean * 1e6) / tasks[i]!.opsPerCall);
        samples[i]! += result.latency.samplesCount;
      });
    }
    suite.cleanup?.();
    tasks.forEach((task, i) => {
      const ns = median(roundsNs[i]!);
      rows.push({
        suite: name,
        name: task.name,
        opsPerCall: task.opsPerCall,
        nsPerOp: ns,
        opsPerSec: 1e9 / ns,
        roundsNs: roundsNs[i]!,
        samples: samples[i]!,
      });
    });
    console.log(`\n## ${name}`);
    console.table(
      rows
        .filter((r) => r.suite === name)
        .map((r) => ({
          task: r.name,
          'ns/op': r.nsPerOp.toFixed(1),
          'ops/s': Math.round(r.opsPerSec).toLocaleString('en-US'),
          'rounds min–max': `${Math.min(...r.roundsNs).toFixed(1)}–${Math.max(...r.roundsNs).toFixed(1)}`,
          samples: r.samples,
        })),
    );
    if (name === 'normalize') printNormalizeRatios(rows);
  }
  if (values.json) writeFileSync(values.json, JSON.stringify({ machine: info, results: rows }, null, 2) + '\n');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
