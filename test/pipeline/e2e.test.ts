// End to end with real pieces: the exchange simulator → `runPipeline` (the
// code behind `tickwire run`: connectors, native engine, books, signals) →
// a real Kafka broker → read back with kcat (independent client) and the SDK.
// Every trade the simulator sent is in md.ticks exactly once and in order per
// key, signals are on their topics, and /metrics has every latency stage.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { subscribeSignals } from '../../src/consumer';
import type { VenueId } from '../../src/events';
import { validateConfig } from '../../src/pipeline/config';
import type { Pipeline } from '../../src/pipeline/pipeline';
import { runPipeline } from '../../src/pipeline/run';
import { startSimulator, type Simulator } from '../../src/simulator/server';
import { simulatorVenueUrls } from '../../src/venues/manager';
import { sleep, testBroker, waitFor, type TestBroker } from '../sink/support';

const VENUES: VenueId[] = ['binance', 'okx', 'bybit'];
const SYMBOLS = ['BTC-USDT', 'ETH-USDT'];
const PREFIX = 'e2e.';

function kcat(broker: TestBroker, topic: string): string[] {
  const out = execFileSync(
    'kcat',
    ['-C', '-b', broker.brokers, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%k\t%s\n'],
    { encoding: 'utf8', maxBuffer: 256 << 20, timeout: 60_000 },
  );
  return out.split('\n').filter((l) => l.length > 0);
}

describe('simulator → tickwire run → Kafka', { timeout: 240_000 }, () => {
  let broker: TestBroker;
  before(async () => {
    broker = await testBroker('e2e');
    await broker.start();
  });
  after(async () => {
    await broker.dispose();
  });

  it('every simulated trade once, in order, signals on their topics, every stage measured', async () => {
    const sim: Simulator = await startSimulator({
      venues: VENUES,
      symbols: SYMBOLS,
      rate: 400,
      seed: 11,
      paused: true,
    });
    const sent = new Map<string, number[]>(); // venue:symbol → trade ids, in model order
    let counting = false;
    sim.onStep((inst, step) => {
      // The simulator also models instruments nobody subscribed to (e.g. OKX perps).
      if (!counting || !SYMBOLS.includes(inst.spec.canonical)) return;
      const key = `${inst.venue}:${inst.spec.canonical}`;
      let ids = sent.get(key);
      if (ids === undefined) sent.set(key, (ids = []));
      for (const t of step.trades) ids.push(t.id);
    });
    const prefix = `http://127.0.0.1:${sim.port}`;
    const config = validateConfig({
      venues: Object.fromEntries(VENUES.map((v) => [v, { symbols: SYMBOLS, ...simulatorVenueUrls(prefix, v) }])),
      sink: { brokers: [broker.brokers], prefix: PREFIX, journal: { dir: `${broker.dir}/journal` } },
      observability: { port: 0, metricsIntervalMs: 1000 },
    });
    let stop: () => void = () => undefined;
    const until = new Promise<void>((r) => (stop = r));
    let pipeline: Pipeline | undefined;
    let metricsUrl = '';
    const exit = runPipeline(config, {
      log: pino({ level: 'warn' }, pino.destination(2)),
      until,
      onStarted: (info) => {
        pipeline = info.pipeline;
        metricsUrl = info.metricsUrl!;
      },
    });
    try {
      await waitFor('the pipeline to start', () => pipeline !== undefined, 60_000);
      const p = pipeline!;
      await waitFor(
        'every venue subscribed',
        () => VENUES.every((v) => [...(p.connections.get(v)?.values() ?? [])].includes('subscribed')),
        30_000,
      );
      counting = true;
      sim.resume();
      await waitFor('every book VALID and Kafka connected', () => p.notReady().length === 0, 30_000);
      const ready = await fetch(`${metricsUrl}/readyz`);
      assert.equal(ready.status, 200);
      await sleep(4000);
      sim.pause();
      counting = false;
      await sleep(1500); // the last frames cross the sockets and the engine

      const metrics = await (await fetch(`${metricsUrl}/metrics`)).text();
      for (const stage of ['feed', 'queue', 'engine', 'handoff', 'ack', 'recv_to_handoff', 'recv_to_ack']) {
        const m = new RegExp(`^tickwire_stage_latency_count\\{stage="${stage}"\\} (\\d+)`, 'm').exec(metrics);
        assert.ok(m !== null && Number(m[1]) > 0, `stage ${stage} has values`);
        assert.match(
          metrics,
          new RegExp(`^tickwire_stage_latency_seconds\\{stage="${stage}",quantile="0.99"\\} `, 'm'),
        );
      }
      // The end-to-end stages span the legs: receive → ack is at least receive → handoff, per quantile.
      const q = (stage: string, quantile: string): number =>
        Number(
          new RegExp(`^tickwire_stage_latency_seconds\\{stage="${stage}",quantile="${quantile}"\\} (\\S+)`, 'm').exec(
            metrics,
          )?.[1],
        );
      for (const quantile of ['0.5', '0.99']) {
        assert.ok(
          q('recv_to_handoff', quantile) > 0 && q('recv_to_handoff', quantile) < 5,
          `recv_to_handoff ${quantile}`,
        );
        assert.ok(
          q('recv_to_ack', quantile) >= q('recv_to_handoff', quantile),
          `recv_to_ack ≥ recv_to_handoff at ${quantile}`,
        );
      }
      // Every published record has a receive → handoff value.
      const count = (stage: string): number =>
        Number(new RegExp(`^tickwire_stage_latency_count\\{stage="${stage}"\\} (\\d+)`, 'm').exec(metrics)?.[1]);
      assert.equal(count('recv_to_handoff'), count('handoff'));
      pipeline!.resetLatency();
      assert.equal(pipeline!.stages.recv_to_ack.total.totalCount, 0, 'resetLatency starts afresh');
      assert.match(metrics, /^tickwire_feed_frames_total\{venue="okx"\} [1-9]/m);
      assert.match(metrics, /^tickwire_books\{state="VALID"\} 6$/m);
      assert.match(metrics, /^tickwire_ready 1$/m);
    } finally {
      stop();
    }
    assert.equal(await exit, 0, 'graceful shutdown returns 0');
    await sim.close();
    const p = pipeline!;
    assert.equal(p.engine.closed, true);
    assert.equal(p.sink!.counters().journalUnread, 0, 'everything delivered at shutdown');

    // md.ticks through kcat: every trade the simulator sent while counting, once, in order per key.
    const seen = new Map<string, string[]>();
    for (const line of kcat(broker, `${PREFIX}ticks`)) {
      const tab = line.indexOf('\t');
      const ev = JSON.parse(line.slice(tab + 1)) as { type: string; venue: string; symbol: string; id?: string };
      if (ev.type !== 'trade') continue;
      assert.equal(line.slice(0, tab), `${ev.venue}:${ev.symbol}`, 'key is venue:symbol');
      const key = `${ev.venue}:${ev.symbol}`;
      let ids = seen.get(key);
      if (ids === undefined) seen.set(key, (ids = []));
      ids.push(ev.id!);
    }
    let total = 0;
    for (const [key, ids] of sent) {
      const got = seen.get(key) ?? [];
      assert.equal(new Set(got).size, got.length, `${key}: no trade twice`);
      assert.equal(got.length, ids.length, `${key}: as many trades as the simulator sent`);
      // Binance and OKX carry the model's trade id itself; Bybit spot ids are offset decimals.
      if (got.every((id) => /^\d+$/.test(id))) {
        for (let i = 1; i < got.length; i++) assert.ok(BigInt(got[i]!) > BigInt(got[i - 1]!), `${key}: in order`);
      }
      if (key.startsWith('binance:') || key.startsWith('okx:'))
        assert.deepEqual(got, ids.map(String), `${key}: the same trades`);
      total += ids.length;
    }
    assert.equal(sent.size, VENUES.length * SYMBOLS.length);
    assert.ok(total > 50, `enough trades to mean something (${total})`);

    // Signals through the SDK.
    const sub = await subscribeSignals({
      brokers: broker.brokers,
      prefix: PREFIX,
      signals: ['bbo', 'trade_stats', 'nbbo'],
      from: 'earliest',
    });
    const kinds = new Map<string, number>();
    try {
      const deadline = Date.now() + 30_000;
      for await (const m of sub) {
        kinds.set(m.schema, (kinds.get(m.schema) ?? 0) + 1);
        if (kinds.size === 3 || Date.now() > deadline) break;
      }
    } finally {
      await sub.close();
    }
    assert.deepEqual([...kinds.keys()].sort(), ['signal.bbo', 'signal.nbbo', 'signal.trade_stats']);

    // The example strategy, as a user runs it, reads the same signals.
    const strategy = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'examples/strategy.ts',
        '--brokers',
        broker.brokers,
        '--prefix',
        PREFIX,
        '--from',
        'earliest',
        '--max',
        '1',
      ],
      { cwd: join(__dirname, '..', '..'), encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(strategy.status, 0, strategy.stderr);
    assert.match(
      strategy.stdout,
      /^\S+ (binance|okx|bybit) BTC-USDT lean (buy|sell) mid [\d.]+ microprice [\d.]+ tfi -?[\d.]+$/m,
    );

    // The metrics snapshot topic.
    const snapshots = kcat(broker, `${PREFIX}metrics`);
    assert.ok(snapshots.length >= 1);
    const snap = JSON.parse(snapshots[0]!.slice(snapshots[0]!.indexOf('\t') + 1)) as { values: Record<string, number> };
    assert.ok(Object.keys(snap.values).some((k) => k.startsWith('tickwire_feed_frames_total')));
  });
});
