// The sink against a real broker: every schema in both encodings, decoded by
// the SDK (topic, key, headers, value); kcat as an independent reader; bbo
// conflation while the broker is stalled (SIGSTOP) and trades are not.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { subscribe, type Message } from '../../src/consumer';
import { createSink, getSchema, versionString, type Encoding, type KnownSchemaName } from '../../src/sink';
import type { BboEvent, TradeEvent } from '../../src/events';
import { memoryLogger, SAMPLES, sleep, testBroker, type TestBroker } from './support';

let broker: TestBroker;

before(async () => {
  broker = await testBroker('sink-kafka');
  await broker.start();
});

after(async () => {
  await broker.dispose();
});

interface Expected {
  schema: KnownSchemaName;
  topic: string;
  key: string;
  value: unknown;
  recvNs: bigint | undefined;
}

async function collect(prefix: string, streams: string[], n: number, timeoutMs: number): Promise<Message<unknown>[]> {
  const sub = await subscribe({ brokers: broker.brokers, prefix, streams, from: 'earliest' });
  const out: Message<unknown>[] = [];
  const timer = setTimeout(() => void sub.close(), timeoutMs);
  try {
    for await (const m of sub) {
      out.push(m);
      if (out.length >= n) break;
    }
  } finally {
    clearTimeout(timer);
    await sub.close();
  }
  return out;
}

for (const encoding of ['json', 'binary'] as Encoding[]) {
  test(`every schema round-trips through Kafka in ${encoding}`, { timeout: 120_000 }, async () => {
    const prefix = `rt-${encoding}.`;
    const sink = createSink({
      brokers: broker.brokers,
      prefix,
      encoding,
      journal: { dir: join(broker.dir, `j-${encoding}`) },
      logger: memoryLogger(),
    });
    const expected: Expected[] = [];
    const before = BigInt(Date.now()) * 1_000_000n;
    for (const name of Object.keys(SAMPLES) as KnownSchemaName[]) {
      const schema = getSchema(name as string);
      for (const v of SAMPLES[name] as unknown[]) {
        assert.equal(sink.publish(name as string, v), true);
        expected.push({
          schema: name,
          topic: schema.topic(prefix, v),
          key: schema.key(v),
          value: v,
          recvNs: schema.recvNs(v),
        });
      }
    }
    // Explicit receive / emit times pass through to the headers.
    const t = SAMPLES['tick.trade'][0] as TradeEvent;
    const pinned = { ...t, id: 'pinned' };
    sink.publish('tick.trade', pinned, { recvNs: 123n, emitNs: 1_700_000_000_456_000_000n });
    assert.equal(await sink.flush(60_000), true);
    const after = BigInt(Date.now()) * 1_000_000n;
    await sink.close();

    const streams = ['ticks', 'status', 'metrics', 'raw.binance', 'raw.bybit'];
    const got = await collect(prefix, streams, expected.length + 1, 60_000);
    assert.equal(got.length, expected.length + 1);
    const pinnedMsg = got.find((m) => (m.value as { id?: string }).id === 'pinned');
    assert.ok(pinnedMsg !== undefined);
    assert.equal(pinnedMsg.recvNs, 123n);
    assert.equal(pinnedMsg.emitNs, 1_700_000_000_456_000_000n);
    assert.equal(pinnedMsg.timestamp, 1_700_000_000_456);
    for (const e of expected) {
      const i = got.findIndex(
        (m) => m.schema === e.schema && m.topic === e.topic && m.key === e.key && isDeepEqual(m.value, e.value),
      );
      assert.ok(i >= 0, `${e.schema} ${e.key} arrived on ${e.topic} with its value (${encoding})`);
      const m = got[i] as Message<unknown>;
      got.splice(i, 1);
      assert.equal(m.encoding, encoding);
      assert.equal(m.version, versionString(getSchema(e.schema).version));
      assert.ok(m.emitNs >= before - 5_000_000n && m.emitNs <= after + 5_000_000n, 'emit-ns is the handoff time');
      assert.equal(m.recvNs, e.recvNs ?? m.emitNs, 'recv-ns from the value, else the emit time');
    }
  });
}

function isDeepEqual(a: unknown, b: unknown): boolean {
  try {
    assert.deepEqual(a, b);
    return true;
  } catch {
    return false;
  }
}

test('kcat reads a JSON record with its key and headers', { timeout: 60_000 }, () => {
  const r = spawnSync(
    'kcat',
    ['-C', '-b', broker.brokers, '-t', 'rt-json.ticks', '-o', 'beginning', '-e', '-q', '-f', '%k %h %s\\n'],
    {
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  assert.equal(r.error, undefined, 'kcat is installed (apt-get install -y kcat)');
  assert.equal(r.status, 0, r.stderr);
  const line = r.stdout.split('\n').find((l) => l.startsWith('binance:BTC-USDT '));
  assert.ok(line !== undefined, r.stdout);
  const [key, headers, ...rest] = line.split(' ');
  assert.equal(key, 'binance:BTC-USDT');
  const h = Object.fromEntries((headers ?? '').split(',').map((kv) => kv.split('=') as [string, string]));
  assert.equal(h['schema'], 'tick.trade');
  assert.equal(h['schema-version'], '1.0');
  assert.equal(h['encoding'], 'json');
  assert.match(h['recv-ns'] ?? '', /^\d{19}$/);
  assert.match(h['emit-ns'] ?? '', /^\d{19}$/);
  const value = JSON.parse(rest.join(' ')) as TradeEvent;
  assert.equal(value.type, 'trade');
  assert.equal(value.symbol, 'BTC-USDT');
});

test('stalled broker: bbo for one key is conflated, trades are not', { timeout: 120_000 }, async () => {
  const pid = broker.started?.pid;
  assert.ok(pid !== null && pid !== undefined);
  const prefix = 'conf.';
  const sink = createSink({
    brokers: broker.brokers,
    prefix,
    policies: { 'tick.bbo': 'conflate' },
    journal: { dir: join(broker.dir, 'j-conf') },
    requestTimeoutMs: 30_000,
    logger: memoryLogger(),
  });
  const bbo = (i: number): BboEvent => ({
    type: 'bbo',
    venue: 'binance',
    symbol: 'BTC-USDT',
    ts: i,
    recvTs: i,
    bidPx: 100 + i,
    bidQty: 1,
    askPx: 101 + i,
    askQty: 1,
  });
  const trade = (i: number): TradeEvent => ({
    type: 'trade',
    venue: 'binance',
    symbol: 'BTC-USDT',
    ts: i,
    recvTs: i,
    price: 100,
    qty: 1,
    side: 'sell',
    id: `t${i}`,
  });
  sink.publish('tick.bbo', bbo(0));
  assert.equal(await sink.flush(60_000), true);
  const N = 1000;
  const T = 200;
  process.kill(-pid, 'SIGSTOP');
  try {
    for (let i = 1; i <= N; i++) {
      sink.publish('tick.bbo', bbo(i));
      if (i % 5 === 0) sink.publish('tick.trade', trade(i / 5));
      if (i % 100 === 0) await sleep(20); // let the sink try to send while the broker is stalled
    }
    await sleep(500);
    const c = sink.counters();
    assert.ok(c.conflated >= N - 20, `bbo conflated ${c.conflated} times`);
    assert.ok(c.conflationKeys <= 1);
    assert.equal(c.dropped, 0);
    assert.equal(c.delivered, 1, 'nothing gets through a stalled broker');
  } finally {
    process.kill(-pid, 'SIGCONT');
  }
  assert.equal(await sink.flush(60_000), true);
  const c = sink.counters();
  await sink.close();
  const got = await collect(prefix, ['ticks'], c.delivered, 60_000);
  const trades = got.filter((m) => m.schema === 'tick.trade').map((m) => (m.value as TradeEvent).id);
  assert.deepEqual(
    trades,
    Array.from({ length: T }, (_, i) => `t${i + 1}`),
    'every trade, in order',
  );
  const bbos = got.filter((m) => m.schema === 'tick.bbo').map((m) => (m.value as BboEvent).bidPx);
  assert.ok(bbos.length <= 1 + (N - c.conflated), `${bbos.length} bbo records sent`);
  assert.equal(bbos[bbos.length - 1], 100 + N, 'the latest bbo wins');
  for (let i = 1; i < bbos.length; i++)
    assert.ok((bbos[i] as number) > (bbos[i - 1] as number), 'bbo never goes back in time');
});
