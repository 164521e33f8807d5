// The never-drop path against a real broker: down at start, then stopped for
// ~10 s mid-run and started again. Every tick arrives, in per-key order, with
// the spill journal used on the way.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { subscribe } from '../../src/consumer';
import { createSink } from '../../src/sink';
import type { TradeEvent } from '../../src/events';
import { memoryLogger, sleep, testBroker, waitFor, type TestBroker } from './support';

let broker: TestBroker;

before(async () => {
  broker = await testBroker('sink-restart');
});

after(async () => {
  await broker.dispose();
});

const KEYS = ['BTC-USDT', 'ETH-USDT', 'SOL-USDT', 'XRP-USDT'];

function trade(symbol: string, seq: number): TradeEvent {
  const now = Date.now() * 1000;
  return {
    type: 'trade',
    venue: 'binance',
    symbol,
    ts: now,
    recvTs: now + 1,
    price: 100 + seq / 1000,
    qty: 1,
    side: 'buy',
    id: `${symbol}#${seq}`,
  };
}

/** Reads md.ticks from the beginning until every expected id was seen; checks per-key order. */
async function readBack(
  prefix: string,
  expected: Map<string, number>,
  timeoutMs: number,
): Promise<{ duplicates: number }> {
  const total = [...expected.values()].reduce((a, b) => a + b, 0);
  const sub = await subscribe<'tick.trade'>({ brokers: broker.brokers, prefix, streams: ['ticks'], from: 'earliest' });
  const next = new Map<string, number>();
  let unique = 0;
  let duplicates = 0;
  const timer = setTimeout(() => void sub.close(), timeoutMs);
  try {
    for await (const m of sub) {
      const [symbol, seqText] = m.value.id.split('#');
      assert.ok(symbol !== undefined && seqText !== undefined);
      assert.equal(m.key, `binance:${symbol}`);
      const seq = Number(seqText);
      const want = next.get(symbol) ?? 0;
      if (seq === want) {
        next.set(symbol, want + 1);
        unique++;
      } else if (seq < want) {
        duplicates++; // at-least-once: a re-sent record, never a gap
      } else {
        assert.fail(`${symbol}: got #${seq} while #${want} is still missing (out of order or lost)`);
      }
      if (unique === total) break;
    }
  } finally {
    clearTimeout(timer);
    await sub.close();
  }
  for (const [symbol, n] of expected) assert.equal(next.get(symbol) ?? 0, n, `${symbol}: all ${n} ticks arrived`);
  return { duplicates };
}

test('broker down at start: the sink retries and delivers once the broker comes up', { timeout: 180_000 }, async () => {
  const log = memoryLogger();
  const prefix = 'down.';
  const sink = createSink({
    brokers: broker.brokers,
    prefix,
    journal: { dir: join(broker.dir, 'journal-down') },
    memory: { maxRecords: 100 },
    retry: { initialMs: 100, maxMs: 1000 },
    logger: log,
  });
  const expected = new Map<string, number>();
  for (let i = 0; i < 400; i++) {
    const symbol = KEYS[i % KEYS.length] as string;
    const seq = expected.get(symbol) ?? 0;
    assert.equal(sink.publish('tick.trade', trade(symbol, seq)), true);
    expected.set(symbol, seq + 1);
  }
  await waitFor('connect failures', () => sink.counters().connectFailures >= 2, 20_000);
  let c = sink.counters();
  assert.equal(c.delivered, 0);
  assert.equal(c.spilled, 300, 'beyond the 100-record memory buffer, ticks go to the journal');
  assert.ok(
    log.lines.some((l) => /cannot connect to Kafka .*retrying with backoff/.test(l)),
    log.lines.join('\n'),
  );

  await broker.start();
  assert.equal(await sink.flush(90_000), true, 'everything delivered once the broker is up');
  c = sink.counters();
  assert.equal(c.delivered, 400);
  assert.equal(c.replayed, 300);
  assert.equal(c.journalUnread, 0);
  assert.ok(
    log.lines.some((l) => /reachable again after/.test(l)),
    log.lines.join('\n'),
  );
  await sink.close();
  const { duplicates } = await readBack(prefix, expected, 60_000);
  assert.equal(duplicates, 0);
});

test(
  'broker stopped ~10 s mid-run and restarted: every tick arrives in per-key order via the journal',
  { timeout: 300_000 },
  async () => {
    const log = memoryLogger();
    const prefix = 'restart.';
    const sink = createSink({
      brokers: broker.brokers,
      prefix,
      topics: { partitions: 3 },
      journal: { dir: join(broker.dir, 'journal-restart'), segmentBytes: 256 * 1024 },
      memory: { maxRecords: 500 },
      retry: { initialMs: 100, maxMs: 1000 },
      requestTimeoutMs: 3000,
      logger: log,
    });
    const expected = new Map<string, number>();
    let produced = 0;
    // 2000 ticks/s over 4 keys, from a timer so publishing goes on while the broker stops and starts.
    const timer = setInterval(() => {
      for (let i = 0; i < 20; i++) {
        const symbol = KEYS[produced % KEYS.length] as string;
        const seq = expected.get(symbol) ?? 0;
        sink.publish('tick.trade', trade(symbol, seq));
        expected.set(symbol, seq + 1);
        produced++;
      }
    }, 10);
    try {
      await waitFor('first deliveries', () => sink.counters().delivered > 2000, 30_000);
      const before = produced;
      const downAt = Date.now();
      await broker.stop();
      await sleep(Math.max(0, 10_000 - (Date.now() - downAt)));
      const during = produced - before;
      const spilledWhileDown = sink.counters().spilled;
      assert.ok(spilledWhileDown > 0, 'the small memory buffer overflowed into the journal');
      await broker.start();
      await sleep(4000);
      clearInterval(timer);
      assert.ok(during > 5000, `published ${during} ticks while the broker was down`);
    } finally {
      clearInterval(timer);
    }
    assert.equal(await sink.flush(120_000), true, 'the backlog drains after the restart');
    const c = sink.counters();
    assert.equal(c.published, produced);
    assert.ok(c.delivered >= produced);
    assert.ok(c.spilled > 0 && c.replayed === c.spilled, `spilled ${c.spilled}, replayed ${c.replayed}`);
    assert.equal(c.journalUnread, 0);
    assert.ok(c.sendFailures + c.connectFailures > 0);
    assert.ok(log.lines.some((l) => /spilling never-drop records to the journal/.test(l)));
    assert.ok(log.lines.some((l) => /failed|cannot connect/.test(l)));
    await sink.close();
    const { duplicates } = await readBack(prefix, expected, 120_000);
    process.stdout.write(
      `# restart: ${produced} ticks, spilled ${c.spilled}, replayed ${c.replayed}, duplicates ${duplicates}, ` +
        `send failures ${c.sendFailures}, connect failures ${c.connectFailures}, producer resets ${c.producerResets}\n`,
    );
  },
);
