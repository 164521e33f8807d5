// Signals and compression against a real broker: the signals the native
// engine computes from the venue fixtures go out through publishSignal in
// both encodings and come back through subscribeSignals with their values,
// keys and headers; kcat (librdkafka) reads the JSON ones independently.
// Sinks with lz4 and zstd compression write batches that the broker stores
// compressed, that the SDK reads and that kcat decompresses on its own.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { subscribeSignals, type Message, type SignalRecord } from '../../src/consumer';
import {
  createSink,
  publishSignal,
  SIGNAL_SCHEMAS,
  type Compression,
  type Encoding,
  type Schema,
} from '../../src/sink';
import { fixtureSignals, SIGNAL_NAMES, type FixtureSignal } from '../sink/signal-fixtures';
import { memoryLogger, testBroker, type TestBroker } from '../sink/support';

const run = promisify(execFile);
let broker: TestBroker;

before(async () => {
  broker = await testBroker('signals');
  await broker.start();
});

after(async () => {
  await broker?.dispose();
});

const schemaOf = (s: SignalRecord): Schema<SignalRecord> => SIGNAL_SCHEMAS[s.signal] as Schema<SignalRecord>;

/** What a sink keeps of a synchronous burst: every never-drop record, the last one per conflation key. */
function expectedAfterBurst(sent: readonly FixtureSignal[]): FixtureSignal[] {
  const latest = new Map<string, number>();
  sent.forEach((f, i) => {
    const schema = schemaOf(f.signal);
    if (schema.policy !== 'conflate') return;
    latest.set(`${schema.topic('', f.signal)}\0${schema.key(f.signal)}\0${schema.conflationSlot?.(f.signal) ?? ''}`, i);
  });
  const keep = new Set(latest.values());
  return sent.filter((f, i) => schemaOf(f.signal).policy !== 'conflate' || keep.has(i));
}

async function takeAll(prefix: string, n: number): Promise<Message<SignalRecord>[]> {
  const sub = await subscribeSignals({
    brokers: broker.brokers,
    prefix,
    signals: [...SIGNAL_NAMES],
    from: 'earliest',
  });
  const out: Message<SignalRecord>[] = [];
  const timer = setTimeout(() => void sub.close(), 60_000);
  try {
    for await (const m of sub) {
      out.push(m);
      if (out.length >= n) break;
    }
  } finally {
    clearTimeout(timer);
    await sub.close();
  }
  assert.equal(sub.stats().decodeErrors, 0);
  return out;
}

interface KcatRecord {
  topic: string;
  key: string | null;
  payload: string | null;
  headers?: string[];
}

/** Every record of a topic as kcat (librdkafka, its own lz4/zstd) reads it. */
async function kcat(topic: string): Promise<KcatRecord[]> {
  const { stdout } = await run('kcat', ['-C', '-b', broker.brokers, '-t', topic, '-o', 'beginning', '-e', '-q', '-J'], {
    maxBuffer: 64 << 20,
    timeout: 60_000,
  });
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as KcatRecord);
}

function headerMap(list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; list !== undefined && i + 1 < list.length; i += 2) out[list[i] as string] = list[i + 1] as string;
  return out;
}

/** Publishes `sent` as one burst, waits for delivery; returns what the broker must hold, in order. */
async function publishBurst(
  prefix: string,
  encoding: Encoding,
  sent: readonly FixtureSignal[],
  compression: Compression = 'none',
): Promise<FixtureSignal[]> {
  const sink = createSink({
    brokers: broker.brokers,
    prefix,
    encoding,
    compression,
    journal: { dir: join(broker.dir, `journal-${prefix}`) },
    logger: memoryLogger(),
  });
  try {
    // As the pipeline does: the ring header's receive time goes along with each record.
    for (const f of sent) assert.equal(publishSignal(sink, f.signal, { recvNs: f.recvNs }), true);
    assert.equal(await sink.flush(60_000), true, 'delivered');
    const expected = expectedAfterBurst(sent);
    const c = sink.counters();
    assert.equal(c.published, sent.length);
    assert.equal(c.delivered, expected.length);
    assert.equal(c.conflated, sent.length - expected.length);
    return expected;
  } finally {
    await sink.close({ timeoutMs: 10_000 });
  }
}

/** The SDK's messages match what was kept, record by record, per topic and key in order. */
function checkMessages(got: Message<SignalRecord>[], expected: FixtureSignal[], prefix: string, encoding: Encoding) {
  assert.equal(got.length, expected.length);
  const queue = (m: { topic: string; key: string }): string => `${m.topic}|${m.key}`;
  const want = new Map<string, FixtureSignal[]>();
  for (const f of expected) {
    const q = queue({ topic: `${prefix}signals.${f.signal.signal}`, key: schemaOf(f.signal).key(f.signal) });
    want.set(q, [...(want.get(q) ?? []), f]);
  }
  for (const m of got) {
    const f = want.get(queue(m))?.shift();
    assert.ok(f !== undefined, `unexpected record on ${queue(m)}`);
    assert.deepEqual(m.value, f.signal, `${m.topic} ${m.key} value`);
    assert.equal(m.schema, `signal.${f.signal.signal}`);
    assert.equal(m.version, '1.0');
    assert.equal(m.encoding, encoding);
    assert.equal(m.venue, f.signal.venue ?? '*');
    assert.equal(m.symbol, f.signal.symbol);
    assert.equal(m.recvNs, f.recvNs, 'recv-ns header from the ring');
    assert.ok(m.emitNs > 1_600_000_000_000_000_000n, 'emit-ns header is a wall-clock time');
  }
}

for (const encoding of ['json', 'binary'] as const) {
  test(`signals in ${encoding}: subscribeSignals gets every kept record with its key and headers`, async () => {
    const prefix = `s${encoding[0]}.`;
    const sent = fixtureSignals();
    const expected = await publishBurst(prefix, encoding, sent);
    assert.ok(new Set(expected.map((f) => f.signal.signal)).size === 8, 'all eight kinds kept');
    checkMessages(await takeAll(prefix, expected.length), expected, prefix, encoding);

    if (encoding !== 'json') return;
    // kcat as an independent client: same payloads, keys and headers, per topic in order.
    for (const kind of SIGNAL_NAMES) {
      const topic = `${prefix}signals.${kind}`;
      const records = await kcat(topic);
      const want = expected.filter((f) => f.signal.signal === kind);
      assert.equal(records.length, want.length, `${topic} record count via kcat`);
      const byKey = new Map<string, unknown[]>();
      for (const r of records) {
        const h = headerMap(r.headers);
        assert.equal(h['schema'], `signal.${kind}`);
        assert.equal(h['schema-version'], '1.0');
        assert.equal(h['encoding'], 'json');
        const key = r.key ?? '';
        byKey.set(key, [...(byKey.get(key) ?? []), { value: JSON.parse(r.payload ?? 'null'), recv: h['recv-ns'] }]);
      }
      for (const f of want) {
        const next = byKey.get(schemaOf(f.signal).key(f.signal))?.shift();
        assert.deepEqual(next, { value: f.signal, recv: f.recvNs.toString() }, `${topic} via kcat`);
      }
    }
  });
}

/** Compression codec (record batch attributes, low 3 bits) of every batch in a partition's first log segment. */
function storedCodecs(topic: string): number[] {
  const dir = join(broker.dir, 'kafka', 'data', `${topic}-0`);
  const seg = readdirSync(dir).find((f) => f.endsWith('.log'));
  assert.ok(seg !== undefined, `no log segment in ${dir}`);
  const log = readFileSync(join(dir, seg));
  const out: number[] = [];
  // Batch: baseOffset i64, batchLength i32, leaderEpoch i32, magic i8, crc u32, attributes i16 (big-endian).
  for (let p = 0; p + 23 <= log.length; p += 12 + log.readInt32BE(p + 8)) out.push(log.readInt16BE(p + 21) & 7);
  return out;
}

for (const [compression, codec] of [
  ['lz4', 3],
  ['zstd', 4],
] as const) {
  test(`${compression}: batches are stored compressed; the SDK and kcat read them`, async () => {
    const prefix = `${compression}.`;
    // never-drop kinds: all of them are delivered, in batches far above lz4's 64 KiB block.
    const sent = fixtureSignals().filter((f) => f.signal.signal === 'trade_stats' || f.signal.signal === 'bar');
    const expected = await publishBurst(prefix, 'json', sent, compression);
    assert.equal(expected.length, sent.length);
    const codecs = storedCodecs(`${prefix}signals.trade_stats`);
    assert.ok(codecs.length >= 1 && codecs.every((c) => c === codec), `stored codecs ${codecs.join(',')}`);
    checkMessages(await takeAll(prefix, expected.length), expected, prefix, 'json');
    const viaKcat = [...(await kcat(`${prefix}signals.trade_stats`)), ...(await kcat(`${prefix}signals.bar`))];
    assert.equal(viaKcat.length, sent.length);
    const payloads = new Set(viaKcat.map((r) => r.payload));
    for (const f of sent) assert.ok(payloads.has(JSON.stringify(f.signal)), `kcat decoded ${f.signal.signal}`);
  });
}
