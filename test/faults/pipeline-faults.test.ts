// Fault-injection runs of the whole pipeline on loopback, bounded in time:
// the simulator's feed faults all at once, the Kafka broker killed -9 and
// restarted mid-run, and a burst larger than the input ring. Each asserts
// what was kept and what was counted, and that the pipeline kept running.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import type { VenueId } from '../../src/events';
import { validateConfig, type RunConfig } from '../../src/pipeline/config';
import type { Pipeline } from '../../src/pipeline/pipeline';
import { runPipeline } from '../../src/pipeline/run';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/server';
import { simulatorVenueUrls } from '../../src/venues/manager';
import { sleep, testBroker, waitFor, type TestBroker } from '../sink/support';

/** Quick failure detection so a test sees reconnects within seconds, not minutes. */
const FAST = {
  keepAlive: { staleMs: 1500, probeIdleMs: 500, pingIntervalMs: 500 },
  backoff: { baseMs: 50, maxMs: 300, stableMs: 60_000 },
  rest: { attempts: 6, baseMs: 50, maxMs: 1000, timeoutMs: 5000, minIntervalMs: 20 },
};

interface Run {
  sim: Simulator;
  pipeline: Pipeline;
  metricsUrl: string;
  stop(): Promise<number>;
}

async function startRun(
  broker: TestBroker,
  prefix: string,
  sim: SimulatorOptions & { venues: VenueId[]; symbols: string[] },
  tweak: (raw: Record<string, unknown>) => void = () => undefined,
): Promise<Run> {
  const s = await startSimulator(sim);
  const base = `http://127.0.0.1:${s.port}`;
  const raw: Record<string, unknown> = {
    venues: Object.fromEntries(
      sim.venues.map((v) => [v, { symbols: sim.symbols, ...FAST, ...simulatorVenueUrls(base, v) }]),
    ),
    sink: {
      brokers: [broker.brokers],
      prefix,
      journal: { dir: `${broker.dir}/journal-${prefix}` },
      flushTimeoutMs: 60_000,
    },
    observability: { port: 0, metricsIntervalMs: 0 },
  };
  tweak(raw);
  const config: RunConfig = validateConfig(raw);
  let release: () => void = () => undefined;
  const until = new Promise<void>((r) => (release = r));
  let pipeline: Pipeline | undefined;
  let metricsUrl = '';
  const exit = runPipeline(config, {
    log: pino({ level: 'silent' }),
    until,
    onStarted: (info) => {
      pipeline = info.pipeline;
      metricsUrl = info.metricsUrl!;
    },
  });
  // A start-up failure surfaces here instead of as a timeout.
  await Promise.race([
    waitFor('the pipeline to start', () => pipeline !== undefined, 60_000),
    exit.then(() => assert.fail('the pipeline stopped during start-up')),
  ]);
  return {
    sim: s,
    pipeline: pipeline!,
    metricsUrl,
    stop: async () => {
      release();
      const code = await exit;
      await s.close();
      return code;
    },
  };
}

function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

function kcatValues(broker: TestBroker, topic: string): string[] {
  return execFileSync('kcat', ['-C', '-b', broker.brokers, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%s\n'], {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    timeout: 60_000,
  })
    .split('\n')
    .filter((l) => l.length > 0);
}

/** Trade ids per `venue:symbol` found in a ticks topic. */
function tradesIn(broker: TestBroker, topic: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of kcatValues(broker, topic)) {
    const ev = JSON.parse(line) as { type: string; venue: string; symbol: string; id: string };
    if (ev.type !== 'trade') continue;
    const key = `${ev.venue}:${ev.symbol}`;
    out.set(key, [...(out.get(key) ?? []), ev.id]);
  }
  return out;
}

const allValid = (p: Pipeline, n: number): boolean =>
  p.books.size === n && [...p.books.values()].every((b) => b.state === 'VALID');

describe('fault-injection runs', { timeout: 300_000 }, () => {
  let broker: TestBroker;
  before(async () => {
    broker = await testBroker('faults');
    await broker.start();
  });
  after(async () => {
    await broker.dispose();
  });

  it('feed faults at once across venues: keeps running, every fault counted, books VALID again', async () => {
    const venues: VenueId[] = ['binance', 'okx', 'bybit', 'kraken'];
    const run = await startRun(broker, 'ff.', { venues, symbols: ['BTC-USDT'], rate: 400, seed: 3 });
    const { sim, pipeline: p } = run;
    try {
      await waitFor('every book VALID', () => allValid(p, 4), 30_000);
      const ids = [
        sim.faults.inject({ kind: 'malformed', probability: 0.1 }),
        sim.faults.inject({ kind: 'drop', venue: 'okx', count: 2 }),
        sim.faults.inject({ kind: 'reorder', venue: 'bybit', probability: 0.2, count: 3 }),
        sim.faults.inject({ kind: 'checksum', venue: 'kraken', count: 1 }),
        sim.faults.inject({ kind: 'stall', venue: 'bybit', count: 1, durationMs: 4000 }),
        sim.faults.inject({ kind: 'disconnect', venue: 'binance', count: 3 }),
        sim.faults.inject({ kind: 'duplicate', venue: 'okx', probability: 0.05 }),
      ];
      await sleep(6000);
      for (const id of ids) sim.faults.clear(id);
      const framesAfterFaults = p.feeds.counters().total.frames;
      await waitFor(
        'every book VALID again and every venue connected',
        () => allValid(p, 4) && p.notReady().length === 0,
        45_000,
      ).catch((e: Error) => {
        throw new Error(`${e.message}: ${p.notReady().join('; ')}`);
      });
      // The books can be VALID again at the first look, before a new frame arrives.
      await waitFor('frames to keep flowing', () => p.feeds.counters().total.frames > framesAfterFaults, 10_000);

      const fired = sim.stats().faults;
      for (const kind of ['malformed', 'drop', 'checksum', 'stall', 'disconnect'] as const)
        assert.ok(fired[kind] > 0, `the simulator fired ${kind}`);
      const m = await (await fetch(`${run.metricsUrl}/metrics`)).text();
      assert.ok(
        metric(m, 'tickwire_rejects_total', { reason: 'malformed_json' }) > 0,
        'malformed frames rejected and counted',
      );
      assert.ok(metric(m, 'tickwire_book_transitions_total', { state: 'RESYNCING', reason: 'gap' }) > 0, 'a gap seen');
      assert.ok(
        metric(m, 'tickwire_book_transitions_total', { state: 'RESYNCING', reason: 'checksum_mismatch' }) > 0,
        'the corrupted checksum seen',
      );
      assert.ok(metric(m, 'tickwire_feed_reconnects_total', { venue: 'binance' }) >= 1, 'binance reconnected');
      assert.ok(
        metric(m, 'tickwire_feed_stale_total', { venue: 'bybit' }) >= 1,
        'the stalled bybit connection replaced',
      );
      assert.equal(metric(m, 'tickwire_record_errors_total'), 0);
      assert.equal(metric(m, 'tickwire_books', { state: 'VALID' }), 4);
    } finally {
      assert.equal(await run.stop(), 0);
    }
    // The same faults as status events in Kafka.
    const status = kcatValues(broker, 'ff.status').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(status.some((e) => e['type'] === 'book_status' && e['state'] === 'RESYNCING' && e['reason'] === 'gap'));
    assert.ok(status.some((e) => e['type'] === 'book_status' && e['reason'] === 'checksum_mismatch'));
    assert.ok(
      status.some((e) => e['type'] === 'feed_status' && e['venue'] === 'binance' && e['state'] === 'reconnecting'),
    );
    assert.ok(status.some((e) => e['type'] === 'reject' && e['reason'] === 'malformed_json'));
  });

  it('Kafka killed -9 and restarted mid-run: no crash, every trade delivered after recovery', async () => {
    const venues: VenueId[] = ['binance', 'okx'];
    const symbols = ['BTC-USDT', 'ETH-USDT'];
    const run = await startRun(broker, 'kk.', { venues, symbols, rate: 400, seed: 5, paused: true }, (raw) => {
      // Small memory buffer: the outage must reach the disk journal.
      (raw['sink'] as Record<string, unknown>)['memory'] = { maxRecords: 500, maxBytes: 1 << 20 };
    });
    const { sim, pipeline: p } = run;
    const sent = new Map<string, string[]>();
    sim.onStep((inst, step) => {
      if (!symbols.includes(inst.spec.canonical)) return;
      const key = `${inst.venue}:${inst.spec.canonical}`;
      sent.set(key, [...(sent.get(key) ?? []), ...step.trades.map((t) => String(t.id))]);
    });
    try {
      await waitFor(
        'both venues subscribed',
        () => venues.every((v) => [...(p.connections.get(v)?.values() ?? [])].includes('subscribed')),
        30_000,
      );
      sim.resume();
      await waitFor('Kafka delivering', () => (p.sink?.counters().delivered ?? 0) > 100, 30_000);
      process.kill(broker.started!.pid!, 'SIGKILL');
      await waitFor('records spilled to the journal', () => (p.sink?.counters().spilled ?? 0) > 0, 30_000);
      await sleep(2000);
      assert.ok(p.feeds.counters().total.frames > 0);
      await broker.start();
      await sleep(3000);
      sim.pause();
      await sleep(1500);
      await waitFor(
        'the journal replayed',
        () => {
          const k = p.sink!.counters();
          return k.journalUnread === 0 && k.memoryRecords === 0;
        },
        90_000,
        200,
      );
    } finally {
      assert.equal(await run.stop(), 0);
    }
    assert.ok(p.sink!.counters().replayed > 0, 'records came back from the journal');
    const got = tradesIn(broker, 'kk.ticks');
    for (const [key, ids] of sent) {
      const have = new Set(got.get(key) ?? []);
      assert.deepEqual(
        ids.filter((id) => !have.has(id)),
        [],
        `${key}: every trade sent is in Kafka (at least once)`,
      );
    }
    assert.ok([...sent.values()].reduce((n, ids) => n + ids.length, 0) > 100);
  });

  it('a burst larger than the input ring: drops counted, the books resync, nothing corrupt, no crash', async () => {
    const run = await startRun(
      broker,
      'bu.',
      { venues: ['okx', 'bybit'], symbols: ['BTC-USDT'], rate: 200, seed: 9 },
      (raw) => {
        raw['engine'] = { inputRingBytes: 1 << 16, outputRingBytes: 1 << 22, maxFrameBytes: 16384 };
        raw['sink'] = { ...(raw['sink'] as object), ticks: false };
      },
    );
    const { sim, pipeline: p } = run;
    try {
      await waitFor('books VALID', () => allValid(p, 2), 30_000);
      const dropsBefore = p.counters.inputRingDrops;
      // Thousands of model steps' frames at once: far more than 64 KiB in flight.
      for (let i = 0; i < 5 && p.counters.inputRingDrops === dropsBefore; i++) {
        sim.step(20_000);
        await sleep(1000);
      }
      assert.ok(p.counters.inputRingDrops > dropsBefore, 'frames refused by the full ring are counted');
      assert.ok(p.feeds.counters().total.drops > 0, 'and per connector');
      await waitFor('books VALID again after the resync', () => allValid(p, 2) && p.notReady().length === 0, 45_000);
      const m = await (await fetch(`${run.metricsUrl}/metrics`)).text();
      assert.ok(metric(m, 'tickwire_ring_drops_total', { ring: 'input' }) > 0);
      assert.ok(metric(m, 'tickwire_feed_resyncs_total') > 0, 'the affected books were re-snapshotted');
      assert.equal(metric(m, 'tickwire_record_errors_total'), 0, 'every output record decoded');
      assert.equal(p.engine.stats().inputCorrupt, false);
    } finally {
      assert.equal(await run.stop(), 0);
    }
  });
});
