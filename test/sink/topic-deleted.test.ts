// The ticks topic deleted by an operator while the sink is publishing: no
// crash, the sink retries with backoff and recreates the topic, and every
// record published after the deletion is in the new topic, in per-key order.
// (Records already in the deleted topic went with it: that is what deleting
// a topic means.)
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { subscribe } from '../../src/consumer';
import type { TradeEvent } from '../../src/events';
import { createSink } from '../../src/sink';
import { memoryLogger, sleep, testBroker, waitFor, type TestBroker } from './support';

let broker: TestBroker;
before(async () => {
  broker = await testBroker('topic-deleted');
  await broker.start();
});
after(async () => {
  await broker.dispose();
});

const SYMBOLS = ['BTC-USDT', 'ETH-USDT'];
const PREFIX = 'td.';

function trade(symbol: string, seq: number): TradeEvent {
  const now = Date.now() * 1000;
  return { type: 'trade', venue: 'okx', symbol, ts: now, recvTs: now, price: 100, qty: 1, side: 'sell', id: `${seq}` };
}

test(
  'a topic deleted mid-run is recreated and nothing published after the deletion is lost',
  { timeout: 180_000 },
  async () => {
    const log = memoryLogger();
    const sink = createSink({
      brokers: broker.brokers,
      prefix: PREFIX,
      logger: log,
      retry: { initialMs: 50, maxMs: 500 },
    });
    const admin = new Kafka({ clientId: 'td-admin', brokers: [broker.brokers], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    let seq = 0;
    let publishing = true;
    const pump = (async () => {
      while (publishing) {
        for (const s of SYMBOLS) sink.publish('tick.trade', trade(s, seq));
        seq++;
        await sleep(5);
      }
    })();
    let firstAfter = 0;
    try {
      await waitFor('first deliveries', () => sink.counters().delivered > 200, 60_000);
      await admin.deleteTopics({ topics: [`${PREFIX}ticks`], timeout: 30_000 });
      firstAfter = seq;
      await waitFor(
        'deliveries into the recreated topic',
        () => sink.counters().delivered > (firstAfter + 200) * SYMBOLS.length,
        90_000,
      );
    } finally {
      publishing = false;
      await pump;
    }
    const last = seq - 1;
    assert.equal(await sink.flush(60_000), true, 'everything pending delivered');
    await sink.close();
    assert.ok((await admin.listTopics()).includes(`${PREFIX}ticks`), 'the topic exists again');
    await admin.disconnect();
    const k = sink.counters();
    assert.ok(k.sendFailures + k.topicsCreated > 1, 'the deletion was noticed (a failed send or a re-creation)');

    // Everything from firstAfter on, per key, in order (at least once).
    const sub = await subscribe<'tick.trade'>({
      brokers: broker.brokers,
      prefix: PREFIX,
      streams: ['ticks'],
      from: 'earliest',
    });
    const seen = new Map<string, number[]>();
    const complete = (): boolean => SYMBOLS.every((s) => (seen.get(s)?.at(-1) ?? -1) >= last);
    const timer = setTimeout(() => void sub.close(), 60_000);
    try {
      for await (const m of sub) {
        const list = seen.get(m.value.symbol) ?? [];
        list.push(Number(m.value.id));
        seen.set(m.value.symbol, list);
        if (complete()) break;
      }
    } finally {
      clearTimeout(timer);
      await sub.close();
    }
    for (const s of SYMBOLS) {
      const ids = seen.get(s) ?? [];
      const have = new Set(ids);
      const missing: number[] = [];
      for (let i = firstAfter; i <= last; i++) if (!have.has(i)) missing.push(i);
      assert.deepEqual(
        missing.slice(0, 10),
        [],
        `${s}: ${missing.length} records published after the deletion missing`,
      );
      const after = ids.filter((i) => i >= firstAfter);
      for (let i = 1; i < after.length; i++) assert.ok(after[i]! >= after[i - 1]!, `${s}: per-key order`);
    }
  },
);
