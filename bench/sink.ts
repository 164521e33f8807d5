// The `sink` suite of `npm run bench -- --filter sink`: the Kafka sink
// (src/sink/sink.ts, kafkajs) against a real broker started here on free
// ports (Java; stopped at the end, also on failure). Per encoding (json,
// binary) and compression (none, lz4, zstd):
//   - throughput: N trade records published at once, records/s until Kafka acknowledged all of them;
//   - produce latency: handoff → ack p50/p99 at a steady rate (default 2,000 records/s).
// Not a tinybench suite: one timed burst per case, after a warm-up burst.
import { join } from 'node:path';
import type { TradeEvent } from '../src/events';
import { KafkaSink, type Compression } from '../src/sink/sink';
import type { Encoding } from '../src/sink/schemas';
import { testBroker } from '../test/sink/support';

export interface SinkRow {
  suite: 'sink';
  name: string;
  opsPerCall: number;
  nsPerOp: number;
  opsPerSec: number;
  rmePercent: number;
  samples: number;
  /** Latency rows: handoff → ack in µs. */
  p50Us?: number;
  p99Us?: number;
  maxUs?: number;
}

export interface SinkSuiteOptions {
  /** Records per throughput burst. Default 50 000. */
  records?: number;
  /** Records/s of the latency run. Default 2000. */
  rate?: number;
  /** Seconds of the latency run. Default 3. */
  seconds?: number;
  encodings?: Encoding[];
  compressions?: Compression[];
}

const KEYS = [
  'binance:BTC-USDT',
  'binance:ETH-USDT',
  'okx:BTC-USDT',
  'okx:ETH-USDT',
  'bybit:BTC-USDT',
  'bybit:ETH-USDT',
];

function trade(i: number): TradeEvent {
  const key = KEYS[i % KEYS.length]!;
  const [venue, symbol] = key.split(':') as [TradeEvent['venue'], string];
  const ts = 1_767_225_600_000_000 + i * 37;
  return {
    type: 'trade',
    venue,
    symbol,
    ts,
    recvTs: ts + 180,
    price: 65_000 + (i % 997) * 0.1,
    qty: 0.001 * (1 + (i % 50)),
    side: i % 3 === 0 ? 'sell' : 'buy',
    id: String(1_000_000 + i),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function delivered(sink: KafkaSink, n: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (sink.counters().delivered < n) {
    if (Date.now() > deadline)
      throw new Error(`only ${sink.counters().delivered} of ${n} records acknowledged in time`);
    await sleep(1);
  }
}

export async function runSinkSuite(opts: SinkSuiteOptions = {}): Promise<SinkRow[]> {
  const records = opts.records ?? 50_000;
  const rate = opts.rate ?? 2000;
  const seconds = opts.seconds ?? 3;
  const rows: SinkRow[] = [];
  const broker = await testBroker('bench-sink');
  try {
    const started = await broker.start();
    console.log(`sink suite: Kafka ${broker.brokers} (up in ${started.readyMs} ms)`);
    let n = 0;
    for (const encoding of opts.encodings ?? (['json', 'binary'] as const)) {
      for (const compression of opts.compressions ?? (['none', 'lz4', 'zstd'] as const)) {
        const label = `${encoding}, ${compression}`;
        const sink = new KafkaSink({
          brokers: broker.brokers,
          prefix: `bench${n++}.`,
          encoding,
          compression,
          memory: { maxRecords: records * 2, maxBytes: 1 << 30 },
          journal: { dir: join(broker.dir, `journal-${n}`) },
          logger: { info: () => undefined, warn: (m) => console.warn(m), error: (m) => console.error(m) },
        }).start();
        try {
          // Warm-up: connection, topic creation, JIT, codec loading.
          let i = 0;
          let sent = 0;
          for (; i < 5000; i++) sink.publish('tick.trade', trade(i));
          sent += 5000;
          await delivered(sink, sent, 60_000);

          // Throughput: a burst of `records`, timed until the last acknowledgement.
          const t0 = performance.now();
          for (let k = 0; k < records; k++) sink.publish('tick.trade', trade(i++));
          sent += records;
          await delivered(sink, sent, 300_000);
          const sec = (performance.now() - t0) / 1000;
          rows.push({
            suite: 'sink',
            name: `sink throughput, trades (${label})`,
            opsPerCall: records,
            nsPerOp: (sec * 1e9) / records,
            opsPerSec: records / sec,
            rmePercent: 0,
            samples: 1,
          });

          // Latency at a steady rate: a publish every millisecond tick.
          sink.resetLatency();
          const total = Math.round(rate * seconds);
          const start = performance.now();
          let published = 0;
          while (published < total) {
            const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000));
            for (; published < due; published++) sink.publish('tick.trade', trade(i++));
            await sleep(1);
          }
          sent += total;
          await delivered(sink, sent, 60_000);
          const lat = sink.latency();
          rows.push({
            suite: 'sink',
            name: `sink handoff→ack at ${rate}/s (${label})`,
            opsPerCall: 1,
            nsPerOp: lat.p50Us * 1000,
            opsPerSec: rate,
            rmePercent: 0,
            samples: lat.count,
            p50Us: lat.p50Us,
            p99Us: lat.p99Us,
            maxUs: lat.maxUs,
          });
        } finally {
          await sink.close({ timeoutMs: 5000 });
        }
      }
    }
  } finally {
    await broker.dispose();
  }
  console.log('\n## sink');
  console.table(
    rows.map((r) =>
      r.p50Us === undefined
        ? {
            task: r.name,
            'records/s': Math.round(r.opsPerSec).toLocaleString('en-US'),
            'µs/record': (r.nsPerOp / 1000).toFixed(1),
          }
        : {
            task: r.name,
            'p50 µs': Math.round(r.p50Us),
            'p99 µs': Math.round(r.p99Us ?? 0),
            'max µs': Math.round(r.maxUs ?? 0),
          },
    ),
  );
  return rows;
}
