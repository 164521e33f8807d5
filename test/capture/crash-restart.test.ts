// Capture + compute linked by Kafka, against a real broker:
//   simulator → runCapture → <cap.>raw.<venue>
//   compute A (in process, never interrupted)      → a.signals.*
//   compute B (`node bin/tickwire.js run --source kafka`), SIGKILLed after its
//   first commits, then restarted and run to the end → b.signals.*
// After removing duplicates B's signals equal A's, record for record and in
// order per key. More precisely, per topic and key: what B's first process
// delivered is a prefix of A's sequence, what the restarted process delivered
// is a suffix of it, and the two overlap (nothing between the committed
// offset and the kill was lost: commits follow acks).
//
// Needs dist/ (npx tsc -p tsconfig.json), Java 17 (the broker) and a few
// seconds of CPU; everything started here is stopped in `after`.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import pino from 'pino';
import { runCapture, type Capture } from '../../src/capture/capture';
import { Deduper } from '../../src/capture/dedupe';
import type { KafkaFrameSource } from '../../src/capture/kafka-source';
import type { VenueId } from '../../src/events';
import { validateConfig } from '../../src/pipeline/config';
import type { Pipeline } from '../../src/pipeline/pipeline';
import { runPipeline } from '../../src/pipeline/run';
import { startSimulator, type Simulator } from '../../src/simulator/server';
import { SIGNAL_NAMES } from '../../src/pipeline/config';
import { simulatorVenueUrls } from '../../src/venues/manager';
import { sleep, testBroker, waitFor, type TestBroker } from '../sink/support';

const root = join(__dirname, '..', '..');
const bin = join(root, 'bin', 'tickwire.js');
const VENUES: VenueId[] = ['binance', 'okx', 'bybit'];
const SYMBOLS = ['BTC-USDT', 'ETH-USDT'];
/** Frames to capture: enough that a compute run takes a few seconds, small enough to stay quick. */
const TARGET_FRAMES = 12_000;
const CAP = 'cap.';
const GROUP_B = 'compute-b';

/** Every signal never-drop: exact comparison needs every value, not the latest per key. */
const NEVER_DROP = Object.fromEntries(SIGNAL_NAMES.map((s) => [`signal.${s}`, 'never-drop']));

interface Rec {
  topic: string;
  key: string;
  value: string;
  emitNs: bigint;
}

/** Every record of the topics with a name starting with `prefix`, in partition order. */
async function readAll(admin: Admin, brokers: string, prefix: string): Promise<Rec[]> {
  const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix)).sort();
  const ends = new Map<string, number>();
  for (const t of topics)
    for (const p of await admin.fetchTopicOffsets(t)) ends.set(`${t}/${p.partition}`, Number(p.high));
  const want = [...ends.values()].reduce((a, b) => a + b, 0);
  const out: Rec[] = [];
  if (want === 0) return out;
  const consumer = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING }).consumer({
    groupId: `reader-${prefix}-${Date.now()}`,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    let got = 0;
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          if (Number(m.offset) >= (ends.get(`${batch.topic}/${batch.partition}`) ?? 0)) continue;
          const emit = m.headers?.['emit-ns'];
          out.push({
            topic: batch.topic,
            key: m.key?.toString() ?? '',
            value: m.value?.toString() ?? '',
            emitNs: BigInt(emit === undefined ? 0 : emit.toString()),
          });
          got++;
        }
      },
    });
    await waitFor(`${want} records of ${prefix}*`, () => got >= want, 60_000);
  } finally {
    await consumer.disconnect();
  }
  return out;
}

function byTopicKey(recs: Rec[]): Map<string, Rec[]> {
  const m = new Map<string, Rec[]>();
  for (const r of recs) {
    const k = `${r.topic.slice(r.topic.indexOf('.') + 1)}|${r.key}`;
    let l = m.get(k);
    if (l === undefined) m.set(k, (l = []));
    l.push(r);
  }
  return m;
}

/**
 * What a consumer does to remove duplicates (src/capture/dedupe.ts): per topic
 * and key, by (emitTs, ordinal within that emitTs). The values alone would
 * not do: one frame can yield equal values on one key. Order across keys is
 * not defined in Kafka, so the result is per topic and key.
 */
function dedupe(recs: Rec[]): { kept: Map<string, string[]>; duplicates: number } {
  const d = new Deduper();
  const kept = new Map<string, string[]>();
  for (const [tk, list] of [...byTopicKey(recs)].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) {
    const emitTs = (r: Rec): number => (JSON.parse(r.value) as { emitTs: number }).emitTs;
    kept.set(
      tk,
      list.filter((r) => d.accept(tk, '', emitTs(r))).map((r) => r.value),
    );
  }
  return { kept, duplicates: d.duplicates };
}

interface Child {
  child: ChildProcess;
  err: () => string;
  exit: Promise<number | null>;
}

function launch(args: string[]): Child {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('KAFKA_') || k.startsWith('TICKWIRE_')) delete env[k];
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, err: () => err, exit };
}

const RAW_TOPICS = VENUES.map((v) => `${CAP}raw.${v}`);

/** Messages in the raw topics. */
async function rawEnd(admin: Admin): Promise<number> {
  let end = 0;
  for (const t of RAW_TOPICS) for (const p of await admin.fetchTopicOffsets(t)) end += Number(p.high);
  return end;
}

/** The group's committed offsets, summed over the raw partitions (a fresh broker's coordinator may need a moment). */
async function committedOf(admin: Admin, group: string): Promise<number> {
  return retrying(async () => {
    let committed = 0;
    for (const t of await admin.fetchOffsets({ groupId: group, topics: RAW_TOPICS })) {
      for (const p of t.partitions) committed += Math.max(0, Number(p.offset));
    }
    return committed;
  });
}

/** Retries what a broker refuses while a topic or coordinator is still being set up. */
async function retrying<R>(fn: () => Promise<R>): Promise<R> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt > 50 || (e as { retriable?: boolean }).retriable !== true) throw e;
      await sleep(200);
    }
  }
}

async function progress(admin: Admin, group: string): Promise<{ committed: number; end: number }> {
  return { committed: await committedOf(admin, group), end: await rawEnd(admin) };
}

function logLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** dist/ must hold this code: the child processes run bin/tickwire.js. */
function assertDistFresh(): void {
  const dist = join(root, 'dist', 'capture', 'kafka-source.js');
  const newest = ['capture', 'pipeline', 'cli']
    .flatMap((d) => readdirSync(join(root, 'src', d)).map((f) => statSync(join(root, 'src', d, f)).mtimeMs))
    .reduce((a, b) => Math.max(a, b), 0);
  if (!existsSync(dist) || statSync(dist).mtimeMs < newest - 1000) {
    throw new Error('dist/ is older than src/: run `npx tsc -p tsconfig.json` (npm test does) before this test');
  }
}

describe('capture + compute over Kafka: kill -9 and restart', { timeout: 300_000 }, () => {
  let broker: TestBroker;
  let admin: Admin;
  let sim: Simulator | undefined;
  const children: Child[] = [];

  before(async () => {
    assertDistFresh();
    broker = await testBroker('capture');
    await broker.start();
    admin = new Kafka({ brokers: [broker.brokers], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
  });
  after(async () => {
    if (process.env['TICKWIRE_TEST_LOG'] !== undefined) {
      for (const [i, c] of children.entries()) process.stderr.write(`---- compute B #${i + 1} stderr\n${c.err()}\n`);
    }
    for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exit));
    await sim?.close();
    await admin?.disconnect().catch(() => undefined);
    await broker?.dispose();
  });

  it('signals after a SIGKILL and a restart equal an uninterrupted run (after removing duplicates)', async () => {
    const log = pino({ level: process.env['TICKWIRE_TEST_LOG'] !== undefined ? 'info' : 'warn' }, pino.destination(2));

    // ---- capture: the simulator's feeds → cap.raw.<venue>
    sim = await startSimulator({ venues: VENUES, symbols: SYMBOLS, rate: 1000, seed: 23 });
    const simPrefix = `http://127.0.0.1:${sim.port}`;
    const captureConfig = validateConfig({
      venues: Object.fromEntries(VENUES.map((v) => [v, { symbols: SYMBOLS, ...simulatorVenueUrls(simPrefix, v) }])),
      sink: { brokers: [broker.brokers], prefix: CAP, encoding: 'binary', journal: { dir: join(broker.dir, 'j-cap') } },
      observability: { port: -1, metricsIntervalMs: 0 },
    });
    let stopCapture: () => void = () => undefined;
    let capture: Capture | undefined;
    const captured = runCapture(captureConfig, {
      log,
      until: new Promise<void>((r) => (stopCapture = r)),
      onStarted: (c) => (capture = c),
    });
    try {
      await waitFor('the capture to start', () => capture !== undefined, 30_000);
      await waitFor(`${TARGET_FRAMES} frames captured`, () => capture!.counters.frames >= TARGET_FRAMES, 60_000);
    } finally {
      stopCapture();
    }
    assert.equal(await captured, 0);
    await sim.close();
    sim = undefined;
    const cap = capture!;
    const k = cap.sink.counters();
    assert.equal(k.journalUnread, 0, 'every raw frame delivered at shutdown');
    // The capture's own book engine read a copy of every frame: a lost or
    // reordered copy would show up as a gap and a resync request.
    assert.equal(cap.counters.bookDrops, 0);
    assert.equal(cap.counters.resyncRequests, 0, 'the capture-side books stayed in sync');
    const raw = { end: await rawEnd(admin) };
    assert.equal(raw.end, cap.counters.frames, 'one raw record per captured frame');
    log.info({ frames: raw.end }, 'captured');

    // ---- compute A: in process, uninterrupted
    const computeDoc = (prefix: string, group: string): Record<string, unknown> => ({
      venues: Object.fromEntries(VENUES.map((v) => [v, { symbols: SYMBOLS }])),
      sink: {
        brokers: [broker.brokers],
        prefix,
        ticks: false,
        policies: NEVER_DROP,
        journal: { dir: join(broker.dir, `j-${group}`) },
      },
      source: { type: 'kafka', prefix: CAP, groupId: group, commitIntervalMs: 200 },
      observability: { port: -1, metricsIntervalMs: 0, logLevel: 'info' },
    });
    let stopA: () => void = () => undefined;
    let pipeline: Pipeline | undefined;
    let metricsUrl = '';
    const runA = runPipeline(
      validateConfig({ ...computeDoc('a.', 'compute-a'), observability: { port: 0, metricsIntervalMs: 0 } }),
      {
        log,
        until: new Promise<void>((r) => (stopA = r)),
        onStarted: (info) => {
          pipeline = info.pipeline;
          metricsUrl = info.metricsUrl ?? '';
        },
      },
    );
    try {
      await waitFor('compute A to start', () => pipeline !== undefined, 60_000);
      const source = pipeline!.feeds as KafkaFrameSource;
      await waitFor('compute A to catch up and commit', () => source.caughtUp(), 120_000);
      assert.equal(source.stats.replayed, 0, 'a fresh group replays nothing');
      assert.equal(source.stats.frames, raw.end, 'every captured frame went to the engine once');
      assert.ok(source.lag().every((l) => l.messages === 0));
      const metrics = await (await fetch(`${metricsUrl}/metrics`)).text();
      for (const v of VENUES) {
        assert.match(
          metrics,
          new RegExp(`^tickwire_source_lag_messages\\{topic="${CAP}raw\\.${v}",partition="0"\\} 0$`, 'm'),
        );
      }
      assert.match(metrics, new RegExp(`^tickwire_source_frames_total ${raw.end}$`, 'm'));
      assert.match(metrics, /^tickwire_source_commits_total [1-9]/m);
    } finally {
      stopA();
    }
    assert.equal(await runA, 0);
    const a = await readAll(admin, broker.brokers, 'a.signals.');
    assert.ok(a.length > 1000, `compute A published enough signals to mean something (${a.length})`);

    // ---- compute B: a real process, SIGKILLed after its first commits
    const fileB = join(broker.dir, 'compute-b.json');
    writeFileSync(fileB, JSON.stringify(computeDoc('b.', GROUP_B)));
    const b1 = launch(['run', '--config', fileB]);
    children.push(b1);
    // Killed right after its first commit is seen: it keeps publishing between
    // commits, so outputs of uncommitted frames are already in Kafka — the
    // restart must publish them again (duplicates), and must lose nothing.
    // (Polling the broker takes longer than a commit interval on a busy
    // machine, so waiting for a quieter moment would race the end of the data.)
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (b1.child.exitCode !== null) throw new Error(`compute B exited early: ${b1.err().slice(-2000)}`);
      if (Date.now() > deadline) throw new Error('compute B did not commit within 90 s');
      if ((await committedOf(admin, GROUP_B)) > 0) break;
      await sleep(10);
    }
    b1.child.kill('SIGKILL');
    await b1.exit;
    const afterKill = await progress(admin, GROUP_B);
    assert.ok(afterKill.committed > 0);
    assert.ok(
      afterKill.committed < afterKill.end,
      `killed mid-stream: committed ${afterKill.committed} of ${afterKill.end} frames (capture more if this fails)`,
    );
    const bFirst = await readAll(admin, broker.brokers, 'b.signals.');
    assert.ok(bFirst.length < a.length, 'the killed process had not published everything');

    // ---- restart: replays silently to the committed offsets, then publishes to the end
    const restartNs = BigInt(Date.now()) * 1_000_000n;
    const b2 = launch(['run', '--config', fileB]);
    children.push(b2);
    const t0 = Date.now();
    for (;;) {
      if (b2.child.exitCode !== null) throw new Error(`restarted compute B exited: ${b2.err().slice(-2000)}`);
      const p = await progress(admin, GROUP_B);
      if (p.committed >= p.end) break;
      if (Date.now() - t0 > 120_000) throw new Error(`restarted compute B did not catch up: ${JSON.stringify(p)}`);
      await sleep(100);
    }
    b2.child.kill('SIGTERM');
    assert.equal(await b2.exit, 0, b2.err().slice(-2000));
    const lines = logLines(b2.err());
    const planned = lines.find((l) => l['msg'] === 'kafka source planned');
    const replayDone = lines.find((l) => l['msg'] === 'replay done: publishing from the committed offsets on');
    const caught = lines.find((l) => l['msg'] === 'caught up with the raw topics');
    assert.ok(planned !== undefined && Number(planned['replay']) === afterKill.committed, 'replays up to the commit');
    assert.ok(
      replayDone !== undefined && Number(replayDone['replayed']) === afterKill.committed,
      b2.err().slice(-3000),
    );
    assert.ok(caught !== undefined, 'logs its catch-up');
    log.warn(
      {
        replayed: replayDone['replayed'],
        replayFps: replayDone['framesPerSecond'],
        caughtUp: caught,
        restartToCaughtUpMs: Date.now() - t0,
      },
      'restart measured',
    );

    // ---- compare
    const b = await readAll(admin, broker.brokers, 'b.signals.');
    const A = byTopicKey(a);
    const B = byTopicKey(b);
    assert.deepEqual([...B.keys()].sort(), [...A.keys()].sort(), 'the same topics and keys');
    let duplicates = 0;
    for (const [tk, as] of A) {
      const bs = B.get(tk)!;
      const first = bs.filter((r) => r.emitNs < restartNs).map((r) => r.value);
      const second = bs.filter((r) => r.emitNs >= restartNs).map((r) => r.value);
      const u = as.map((r) => r.value);
      assert.deepEqual(first, u.slice(0, first.length), `${tk}: the killed run delivered a prefix`);
      const j = u.length - second.length;
      assert.deepEqual(second, u.slice(j), `${tk}: the restart delivered the rest, in order`);
      assert.ok(j <= first.length, `${tk}: nothing lost between the commit and the kill (${j} > ${first.length})`);
      duplicates += first.length - j;
    }
    const da = dedupe(a);
    assert.equal(da.duplicates, 0, 'nothing in the uninterrupted run looks like a duplicate');
    const db = dedupe(b);
    assert.deepEqual(db.kept, da.kept, 'after removing duplicates, the same signals in the same order per key');
    assert.equal(db.duplicates, duplicates, 'the deduper removes exactly the repeated run');
    assert.equal(b.length - duplicates, a.length);
    // Usually the kill leaves outputs of uncommitted frames behind (duplicates > 0);
    // when it lands between a commit and the next output there are none, which is fine.
    log.warn({ signals: a.length, duplicates, killedAt: afterKill.committed, frames: raw.end }, 'compared');
  });
});
