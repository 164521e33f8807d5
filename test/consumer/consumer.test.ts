// The consumer SDK and `tickwire consume` against a real broker: start from
// earliest / latest / a timestamp, symbol filter, callback form, signals,
// clean close.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { subscribe, subscribeSignals, type Message, type Subscription } from '../../src/consumer';
import { run as consume } from '../../src/cli/consume';
import { createSink, registerSchema, unregisterSchema, type KafkaSink, type Schema } from '../../src/sink';
import type { TradeEvent } from '../../src/events';
import { memoryLogger, sleep, testBroker, type TestBroker } from '../sink/support';

const PREFIX = 'c.';
const SYMBOLS = ['BTC-USDT', 'ETH-USDT', 'SOL-USDT'];

interface TestBbo {
  venue: string;
  symbol: string;
  bid: number;
  ask: number;
}
const bboSignal: Schema<TestBbo> = {
  name: 'test.signal.bbo',
  id: 251,
  version: { major: 1, minor: 0 },
  kind: 'signal',
  signal: 'bbo',
  policy: 'conflate',
  topic: (prefix) => `${prefix}signals.bbo`,
  key: (v) => `${v.venue}:${v.symbol}`,
  recvNs: () => undefined,
  toJson: (v) => JSON.stringify(v),
  fromJson: (s) => JSON.parse(s) as TestBbo,
  writeBinary: (w, v) => void w.str16(v.venue).str16(v.symbol).f64(v.bid).f64(v.ask),
  readBinary: (r) => ({ venue: r.str16(), symbol: r.str16(), bid: r.f64(), ask: r.f64() }),
};

let broker: TestBroker;
let sink: KafkaSink;
let splitMs = 0;

function trade(phase: number, i: number): TradeEvent {
  const symbol = SYMBOLS[i % SYMBOLS.length] as string;
  return {
    type: 'trade',
    venue: 'coinbase',
    symbol,
    ts: null,
    recvTs: Date.now() * 1000,
    price: 1 + i,
    qty: 1,
    side: 'buy',
    id: `p${phase}-${i}`,
  };
}

async function take<T>(sub: Subscription<T>, n: number, timeoutMs = 30_000): Promise<Message<T>[]> {
  const out: Message<T>[] = [];
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

before(async () => {
  registerSchema(bboSignal);
  broker = await testBroker('consumer');
  await broker.start();
  sink = createSink({
    brokers: broker.brokers,
    prefix: PREFIX,
    encoding: 'binary',
    topics: { partitions: 2 },
    journal: { dir: join(broker.dir, 'j') },
    logger: memoryLogger(),
  });
  for (let i = 0; i < 30; i++) sink.publish('tick.trade', trade(1, i));
  assert.equal(await sink.flush(60_000), true);
  await sleep(1100);
  splitMs = Date.now();
  await sleep(100);
  for (let i = 0; i < 30; i++) sink.publish('tick.trade', trade(2, i));
  sink.publish('test.signal.bbo', { venue: '*', symbol: 'BTC-USDT', bid: 1, ask: 2 });
  sink.publish('test.signal.bbo', { venue: '*', symbol: 'ETH-USDT', bid: 3, ask: 4 });
  assert.equal(await sink.flush(60_000), true);
});

after(async () => {
  await sink?.close();
  await broker?.dispose();
  unregisterSchema('test.signal.bbo');
});

test('from earliest: every record, typed and decoded', { timeout: 60_000 }, async () => {
  const sub = await subscribe({ brokers: broker.brokers, prefix: PREFIX, schemas: ['tick.trade'], from: 'earliest' });
  assert.deepEqual(sub.topics, ['c.ticks']);
  const got = await take(sub, 60);
  assert.equal(got.length, 60);
  const ids = new Set(got.map((m) => m.value.id)); // m.value is a TradeEvent
  assert.equal(ids.size, 60);
  assert.ok(
    got.every((m) => m.encoding === 'binary' && m.schema === 'tick.trade' && m.key === `coinbase:${m.value.symbol}`),
  );
});

test('from a timestamp: only records at or after it', { timeout: 60_000 }, async () => {
  const sub = await subscribe({ brokers: broker.brokers, prefix: PREFIX, streams: ['ticks'], from: new Date(splitMs) });
  const got = await take(sub, 30);
  assert.equal(got.length, 30);
  assert.ok(
    got.every((m) => (m.value as TradeEvent).id.startsWith('p2-')),
    'phase 2 only',
  );
  // Nothing more is pending beyond those 30.
  const again = await subscribe({ brokers: broker.brokers, prefix: PREFIX, streams: ['ticks'], from: splitMs });
  const more = await take(again, 31, 3000);
  assert.equal(more.length, 30);
});

test('from latest: only records published after subscribe()', { timeout: 60_000 }, async () => {
  const sub = await subscribe({ brokers: broker.brokers, prefix: PREFIX, schemas: ['tick.trade'] });
  for (let i = 0; i < 5; i++) sink.publish('tick.trade', trade(3, i));
  const got = await take(sub, 5);
  assert.deepEqual(got.map((m) => m.value.id).sort(), ['p3-0', 'p3-1', 'p3-2', 'p3-3', 'p3-4']);
});

test('symbol and venue filters; callback form; clean close', { timeout: 60_000 }, async () => {
  const seen: Message<TradeEvent>[] = [];
  const sub = await subscribe(
    {
      brokers: broker.brokers,
      prefix: PREFIX,
      schemas: ['tick.trade'],
      symbols: 'ETH-USDT',
      venues: ['coinbase'],
      from: 'earliest',
      groupId: 'filter-group',
    },
    (m) => {
      seen.push(m);
    },
  );
  assert.equal(sub.groupId, 'filter-group');
  const deadline = Date.now() + 30_000;
  while (seen.length < 20 && Date.now() < deadline) await sleep(50);
  await sleep(300);
  await sub.close();
  await sub.closed;
  // 10 + 10 from phases 1-2, plus phase 3 (ids 1 and 4 are ETH) when that test ran first.
  assert.ok(seen.length >= 20, `${seen.length} ETH trades`);
  assert.ok(seen.every((m) => m.symbol === 'ETH-USDT' && m.venue === 'coinbase'));
  assert.ok(sub.stats().filtered >= 40);
  // The iterator of a closed subscription ends at once.
  const it = sub[Symbol.asyncIterator]();
  assert.deepEqual(await it.next(), { value: undefined, done: true });
  await sub.close(); // idempotent
});

test('subscribeSignals and `tickwire consume --signal bbo` decode signal records', { timeout: 90_000 }, async () => {
  const sub = await subscribeSignals({ brokers: broker.brokers, prefix: PREFIX, signals: ['bbo'], from: 'earliest' });
  const got = await take(sub, 2);
  assert.deepEqual(
    got.map((m) => m.value).sort((a, b) => String(a['symbol']).localeCompare(String(b['symbol']))),
    [
      { venue: '*', symbol: 'BTC-USDT', bid: 1, ask: 2 },
      { venue: '*', symbol: 'ETH-USDT', bid: 3, ask: 4 },
    ],
  );

  const lines: string[] = [];
  const code = await consume(
    [
      '--signal',
      'bbo',
      '--symbol',
      'ETH-USDT',
      '--from',
      'earliest',
      '--prefix',
      PREFIX,
      '--brokers',
      broker.brokers,
      '--idle-exit',
      '3000',
    ],
    { write: (l: string) => lines.push(l) },
  );
  assert.equal(code, 0);
  const out = lines
    .join('')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { key: string; schema: string; value: TestBbo; recvNs: string });
  assert.equal(out.length, 1);
  assert.equal(out[0]?.key, '*:ETH-USDT');
  assert.equal(out[0]?.schema, 'test.signal.bbo');
  assert.deepEqual(out[0]?.value, { venue: '*', symbol: 'ETH-USDT', bid: 3, ask: 4 });
  assert.match(out[0]?.recvNs ?? '', /^\d+$/);
});

test('consume honours KAFKA_BROKERS and rejects bad arguments', { timeout: 60_000 }, async () => {
  assert.equal(await consume(['--from', 'nonsense', '--signal', 'bbo']), 2);
  assert.equal(await consume([]), 2);
  const prev = process.env['KAFKA_BROKERS'];
  process.env['KAFKA_BROKERS'] = broker.brokers;
  const lines: string[] = [];
  try {
    const code = await consume(['--stream', 'ticks', '--from', 'earliest', '--prefix', PREFIX, '--max', '3'], {
      write: (l: string) => lines.push(l),
    });
    assert.equal(code, 0);
  } finally {
    if (prev === undefined) delete process.env['KAFKA_BROKERS'];
    else process.env['KAFKA_BROKERS'] = prev;
  }
  assert.equal(lines.join('').trim().split('\n').length, 3);
});
