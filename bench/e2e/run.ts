// `npm run bench:e2e [-- --rates 10000,20000,50000,100000,200000,max --modes inline,thread
//   --duration 20 --json e2e.json --svg e2e.svg]`
//
// The whole product under load, three processes on this machine: the
// exchange simulator (`tickwire simulate`), the pipeline (`tickwire run` on a
// generated config) and a real Kafka broker (Java, started here on free ports
// and stopped at the end). Per engine mode and offered rate: achieved
// throughput, trade loss (the simulator's trade ids against md.ticks, read
// back with kcat), latency percentiles from the pipeline's own HDR histograms
// (receive → handoff, receive → Kafka ack, and every leg), CPU per process
// from /proc/<pid>/stat and peak RSS (VmHWM). Results: bench/RESULTS.md.
//
// Each step: the simulator starts paused, the pipeline connects and
// subscribes, the simulator runs `--warmup` seconds at the rate, the
// pipeline's histograms are reset (SIGUSR2), `--duration` seconds are
// measured, the simulator pauses, the pipeline drains into Kafka (bounded by
// `--drain-timeout`), the histograms are read, both processes stop, and the
// trades are counted. Everything binds to 127.0.0.1; every process started
// here is stopped on every exit path.
import { execSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { MAX_RATE } from '../../src/simulator/server';
import { simulatorVenueUrls } from '../../src/venues/manager';
import { testBroker, type TestBroker } from '../../test/sink/support';
import { latencyChart, type ChartPoint } from './chart';
import {
  cpuSeconds,
  freePort,
  getJson,
  memoryMiB,
  parseMetrics,
  sleep,
  startNode,
  stopAll,
  sumOf,
  type Child,
} from './proc';
import { countTrades, lastTradeIds, TRADE_VENUES, type TradeCount, type TradeVenue } from './trades';

const ROOT = resolve(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'tickwire.js');
const STAGE_NAMES = ['recv_to_handoff', 'recv_to_ack', 'feed', 'queue', 'engine', 'handoff', 'ack'] as const;
const QUANTILES: Array<[string, string]> = [
  ['p50', '0.5'],
  ['p90', '0.9'],
  ['p99', '0.99'],
  ['p99.9', '0.999'],
  ['max', '1'],
];

interface Options {
  rates: Array<number | 'max'>;
  modes: Array<'inline' | 'thread'>;
  durationS: number;
  warmupS: number;
  drainTimeoutS: number;
  venues: TradeVenue[];
  symbols: string[];
  encoding: 'json' | 'binary';
  framesPerStep: number;
  build: boolean;
  /** Directory for a V8 CPU profile of each pipeline process (node --cpu-prof). */
  profile?: string;
  json?: string;
  svg?: string;
}

type Quantiles = Record<string, number> & { count: number };

interface StepResult {
  mode: string;
  /** Target frames/s (`max`: the simulator's maximum step rate). */
  target: number | 'max';
  /** The simulator's --rate (model steps/s) used to offer it. */
  simRate: number;
  durationS: number;
  offered: { framesPerS: number; stepsPerS: number; lagSteps: number; slowConsumerDisconnects: number };
  achieved: {
    /** Frames the connectors received, per second of the measured window. */
    framesPerS: number;
    engineFramesPerS: number;
    publishedPerS: number;
    /** Records acknowledged by Kafka per second during the window. */
    ackedPerS: number;
    /** Records waiting in the sink (memory + journal + in flight) at the start and end of the window. */
    backlogStart: number;
    backlogEnd: number;
    spilled: number;
    drops: number;
    /** Produce requests, failed ones (retried) and producer re-creations over the whole step. */
    batches: number;
    sendFailures: number;
    producerResets: number;
    /** Time to deliver what was pending after the simulator paused; null when `--drain-timeout` ran out. */
    drainMs: number | null;
    /** Records still waiting in the sink when the pipeline was stopped (it journals them): trades among them count as lost here. */
    pendingAtStop: number;
  };
  trades: TradeCount;
  /** Seconds. */
  latency: Record<string, Quantiles>;
  /** % of one core over the window. */
  cpu: { pipeline: number; simulator: number; broker: number };
  /** MiB: peak RSS (VmHWM) over the whole step, and the largest VmRSS sampled during the window. */
  memory: { pipelinePeak: number; pipelineSteadyMax: number; simulatorPeak: number; brokerRss: number };
  /** The pipeline's warnings and errors (its log at level warn), last lines. */
  log: string[];
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      rates: { type: 'string', default: '10000,20000,50000,100000,200000,max' },
      modes: { type: 'string', default: 'inline,thread' },
      duration: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '3' },
      'drain-timeout': { type: 'string', default: '120' },
      venues: { type: 'string', default: 'binance,okx,bybit' },
      symbols: { type: 'string', default: 'BTC-USDT,ETH-USDT' },
      encoding: { type: 'string', default: 'json' },
      'frames-per-step': { type: 'string', default: '0.8' },
      'no-build': { type: 'boolean', default: false },
      json: { type: 'string' },
      svg: { type: 'string' },
      profile: { type: 'string' },
    },
  });
  const list = (s: string): string[] =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  const num = (name: string, s: string, lo: number, hi: number): number => {
    const n = Number(s);
    if (!(n >= lo && n <= hi)) throw new Error(`--${name} must be in [${lo}, ${hi}]`);
    return n;
  };
  const rates = list(values.rates).map((r) => (r === 'max' ? 'max' : num('rates', r, 1, MAX_RATE)));
  const modes = list(values.modes).map((m) => {
    if (m !== 'inline' && m !== 'thread') throw new Error(`--modes: inline or thread, not '${m}'`);
    return m;
  });
  const venues = list(values.venues).map((v) => {
    if (!(TRADE_VENUES as readonly string[]).includes(v))
      throw new Error(`--venues: ${TRADE_VENUES.join(', ')} (their trade ids can be counted), not '${v}'`);
    return v as TradeVenue;
  });
  if (values.encoding !== 'json' && values.encoding !== 'binary') throw new Error('--encoding: json or binary');
  return {
    rates,
    modes,
    durationS: num('duration', values.duration, 1, 600),
    warmupS: num('warmup', values.warmup, 0, 120),
    drainTimeoutS: num('drain-timeout', values['drain-timeout'], 1, 600),
    venues,
    symbols: list(values.symbols),
    encoding: values.encoding,
    framesPerStep: num('frames-per-step', values['frames-per-step'], 0.01, 100),
    build: !values['no-build'],
    ...(values.profile !== undefined ? { profile: resolve(values.profile) } : {}),
    ...(values.json !== undefined ? { json: values.json } : {}),
    ...(values.svg !== undefined ? { svg: values.svg } : {}),
  };
}

function machine(): Record<string, unknown> {
  const git = (cmd: string): string => {
    try {
      return execSync(cmd, { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim();
    } catch {
      return 'unknown';
    }
  };
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    commit: git('git rev-parse --short HEAD'),
    dirty: git('git status --porcelain --untracked-files=no') !== '',
    loadavgAtStart: loadavg().map((x) => +x.toFixed(2)),
    date: new Date().toISOString(),
  };
}

class Metrics {
  constructor(readonly url: string) {}
  async scrape(): Promise<Map<string, number>> {
    // A pipeline far behind its feed answers slowly: wait, and try again.
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await fetch(`${this.url}/metrics`, { signal: AbortSignal.timeout(30_000) });
        return parseMetrics(await res.text());
      } catch (e) {
        if (attempt >= 3) throw new Error(`/metrics did not answer: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
}

function backlog(m: Map<string, number>): number {
  return (
    sumOf(m, 'tickwire_sink_memory_records') +
    sumOf(m, 'tickwire_sink_journal_unread') +
    sumOf(m, 'tickwire_sink_conflation_keys') +
    sumOf(m, 'tickwire_sink_in_flight')
  );
}

function quantiles(m: Map<string, number>, stage: string): Quantiles {
  const q: Quantiles = { count: m.get(`tickwire_stage_latency_count{stage="${stage}"}`) ?? 0 };
  for (const [name, quantile] of QUANTILES) {
    q[name] = m.get(`tickwire_stage_latency_seconds{stage="${stage}",quantile="${quantile}"}`) ?? Number.NaN;
  }
  return q;
}

async function waitUntil(what: string, timeoutMs: number, cond: () => Promise<boolean>, child?: Child): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child !== undefined && child.proc.exitCode !== null)
      throw new Error(
        `${child.name} exited (${child.proc.exitCode}) while waiting for ${what}: ${child.stderr().slice(-2000)}`,
      );
    try {
      if (await cond()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

async function runStep(
  o: Options,
  broker: TestBroker,
  brokerPid: number,
  work: string,
  mode: 'inline' | 'thread',
  target: number | 'max',
  index: number,
): Promise<StepResult> {
  const simRate = target === 'max' ? MAX_RATE : Math.max(1, Math.round(target / o.framesPerStep));
  const simPort = await freePort();
  const metricsPort = await freePort();
  const base = `http://127.0.0.1:${simPort}`;
  // A bound on the simulator's life even if this process dies without cleaning up.
  const simBoundS = Math.ceil(o.warmupS + o.durationS + o.drainTimeoutS + 180);
  const sim = startNode('simulator', [
    BIN,
    'simulate',
    '--venues',
    o.venues.join(','),
    '--symbols',
    o.symbols.join(','),
    '--rate',
    String(simRate),
    '--seed',
    String(index + 1),
    '--port',
    String(simPort),
    '--duration',
    `${simBoundS}s`,
  ]);
  let pipeline: Child | undefined;
  try {
    await waitUntil('the simulator', 30_000, async () => (await fetch(`${base}/control/stats`)).ok, sim);
    await getJson(`${base}/control/pause`, { method: 'POST' });

    const prefix = `bench${index}.`;
    const config = {
      venues: Object.fromEntries(o.venues.map((v) => [v, { symbols: o.symbols, ...simulatorVenueUrls(base, v) }])),
      engine: { mode },
      sink: {
        brokers: [broker.brokers],
        prefix,
        encoding: o.encoding,
        journal: { dir: join(work, `journal-${index}`) },
        flushTimeoutMs: 2000,
      },
      observability: { host: '127.0.0.1', port: metricsPort, logLevel: 'warn', metricsIntervalMs: 5000 },
    };
    const configFile = join(work, `run-${index}.yaml`);
    writeFileSync(configFile, stringify(config));
    const prof = o.profile !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${o.profile}`] : [];
    pipeline = startNode('pipeline', [...prof, BIN, 'run', '--config', configFile]);
    const metrics = new Metrics(`http://127.0.0.1:${metricsPort}`);
    await waitUntil(
      'every venue connected',
      60_000,
      async () => {
        const m = await metrics.scrape();
        return o.venues.every((v) => (m.get(`tickwire_feed_connections_open{venue="${v}"}`) ?? 0) >= 1);
      },
      pipeline,
    );
    await sleep(1500); // subscriptions acknowledged
    const before = await lastTradeIds(base, o.venues, o.symbols);
    await getJson(`${base}/control/resume`, { method: 'POST' });
    await sleep(o.warmupS * 1000);

    // ---- measured window
    process.kill(pipeline.pid, 'SIGUSR2');
    const pids = { pipeline: pipeline.pid, simulator: sim.pid, broker: brokerPid };
    const cpu0 = {
      pipeline: cpuSeconds(pids.pipeline),
      simulator: cpuSeconds(pids.simulator),
      broker: cpuSeconds(pids.broker),
    };
    const sim0 = await getJson<SimStats>(`${base}/control/stats`);
    const m0 = await metrics.scrape();
    const t0 = performance.now();
    let steadyMax = 0;
    while (performance.now() - t0 < o.durationS * 1000) {
      await sleep(Math.min(1000, o.durationS * 1000 - (performance.now() - t0)));
      steadyMax = Math.max(steadyMax, memoryMiB(pids.pipeline).rss || 0);
    }
    const m1 = await metrics.scrape();
    const sim1 = await getJson<SimStats>(`${base}/control/stats`);
    const cpu1 = {
      pipeline: cpuSeconds(pids.pipeline),
      simulator: cpuSeconds(pids.simulator),
      broker: cpuSeconds(pids.broker),
    };
    const dt = (performance.now() - t0) / 1000;
    await getJson(`${base}/control/pause`, { method: 'POST' });
    const after = await lastTradeIds(base, o.venues, o.symbols);

    // ---- drain: the sink delivers what is pending
    const tDrain = performance.now();
    let drainMs: number | null = null;
    let lastDelivered = -1;
    const drainDeadline = tDrain + o.drainTimeoutS * 1000;
    let m2 = m1;
    while (performance.now() < drainDeadline) {
      m2 = await metrics.scrape();
      const delivered = sumOf(m2, 'tickwire_sink_delivered_total');
      const rings = sumOf(m2, 'tickwire_ring_used_bytes');
      if (backlog(m2) === 0 && rings === 0 && delivered === lastDelivered) {
        drainMs = Math.round(performance.now() - tDrain);
        break;
      }
      lastDelivered = delivered;
      await sleep(500);
    }
    m2 = await metrics.scrape();
    const mem = memoryMiB(pids.pipeline);
    const simMem = memoryMiB(pids.simulator);
    const brokerMem = memoryMiB(pids.broker);
    const code = await pipeline.stop(o.drainTimeoutS * 1000 + 30_000);
    if (code !== 0) process.stderr.write(`  pipeline exited with ${String(code)}: ${pipeline.stderr().slice(-1000)}\n`);
    await sim.stop();

    const trades = await countTrades(broker.brokers, `${prefix}ticks`, before, after);
    const d = (name: string): number => sumOf(m1, name) - sumOf(m0, name);
    const latency: Record<string, Quantiles> = {};
    for (const s of STAGE_NAMES) latency[s] = quantiles(m2, s);
    const pct = (a: number, b: number): number => +((100 * (b - a)) / dt).toFixed(1);
    return {
      mode,
      target,
      simRate,
      durationS: +dt.toFixed(2),
      offered: {
        framesPerS: Math.round((sim1.framesSent - sim0.framesSent) / dt),
        stepsPerS: Math.round((sim1.modelSteps - sim0.modelSteps) / dt),
        lagSteps: sim1.lagSteps - sim0.lagSteps,
        slowConsumerDisconnects: sim1.slowConsumerDisconnects,
      },
      achieved: {
        framesPerS: Math.round(d('tickwire_feed_frames_total') / dt),
        engineFramesPerS: Math.round(d('tickwire_engine_frames_in_total') / dt),
        publishedPerS: Math.round(d('tickwire_sink_published_total') / dt),
        ackedPerS: Math.round(d('tickwire_sink_delivered_total') / dt),
        backlogStart: backlog(m0),
        backlogEnd: backlog(m1),
        spilled: sumOf(m2, 'tickwire_sink_spilled_total'),
        drops:
          sumOf(m2, 'tickwire_feed_drops_total') +
          sumOf(m2, 'tickwire_ring_drops_total') +
          sumOf(m2, 'tickwire_sink_dropped_total'),
        batches: sumOf(m2, 'tickwire_sink_batches_total'),
        sendFailures: sumOf(m2, 'tickwire_sink_send_failures_total'),
        producerResets: sumOf(m2, 'tickwire_sink_producer_resets_total'),
        drainMs,
        pendingAtStop: backlog(m2),
      },
      trades,
      latency,
      cpu: {
        pipeline: pct(cpu0.pipeline, cpu1.pipeline),
        simulator: pct(cpu0.simulator, cpu1.simulator),
        broker: pct(cpu0.broker, cpu1.broker),
      },
      log: pipeline.stderr().split('\n').filter(Boolean).slice(-20),
      memory: {
        pipelinePeak: +mem.hwm.toFixed(1),
        pipelineSteadyMax: +steadyMax.toFixed(1),
        simulatorPeak: +simMem.hwm.toFixed(1),
        brokerRss: +brokerMem.rss.toFixed(1),
      },
    };
  } finally {
    await pipeline?.stop(5000);
    await sim.stop(5000);
  }
}

interface SimStats {
  modelSteps: number;
  lagSteps: number;
  framesSent: number;
  slowConsumerDisconnects: number;
}

const ms = (s: number): string => (Number.isFinite(s) ? (s * 1e3).toFixed(s < 0.01 ? 3 : 1) : '-');

function printStep(r: StepResult): void {
  const a = r.latency['recv_to_handoff']!;
  const b = r.latency['recv_to_ack']!;
  process.stdout.write(
    `  ${r.mode.padEnd(6)} target ${String(r.target).padStart(7)}  offered ${String(r.offered.framesPerS).padStart(7)} fr/s  ` +
      `received ${String(r.achieved.framesPerS).padStart(7)} fr/s  acked ${String(r.achieved.ackedPerS).padStart(7)} rec/s  ` +
      `backlog ${r.achieved.backlogStart}→${r.achieved.backlogEnd}  trades missing from Kafka ${r.trades.lost}/${r.trades.sent}` +
      (r.achieved.pendingAtStop > 0 ? ` (${r.achieved.pendingAtStop} records still pending at stop)` : '') +
      '\n' +
      `         recv→handoff ms p50 ${ms(a['p50']!)} p99 ${ms(a['p99']!)} p99.9 ${ms(a['p99.9']!)} max ${ms(a['max']!)}  ` +
      `recv→ack ms p50 ${ms(b['p50']!)} p99 ${ms(b['p99']!)} max ${ms(b['max']!)}  ` +
      `cpu % pipeline ${r.cpu.pipeline} sim ${r.cpu.simulator} kafka ${r.cpu.broker}  rss ${r.memory.pipelinePeak} MiB` +
      `  drain ${r.achieved.drainMs ?? 'timeout'} ms\n`,
  );
}

async function main(): Promise<void> {
  const o = options();
  const info = machine();
  process.stdout.write(
    `tickwire bench:e2e — ${String(info['cpu'])}, ${String(info['cores'])} cores, Node ${process.version}, ` +
      `commit ${String(info['commit'])}${info['dirty'] ? ' (dirty)' : ''}, load ${(info['loadavgAtStart'] as number[]).join(' ')}\n`,
  );
  if (o.build) {
    process.stdout.write('building dist/ (tsc -p tsconfig.json)\n');
    execSync('npx tsc -p tsconfig.json', { cwd: ROOT, stdio: 'inherit' });
  }
  const work = mkdtempSync(join(tmpdir(), 'tickwire-bench-e2e-'));
  mkdirSync(work, { recursive: true });
  let broker: TestBroker | undefined;
  let interrupted = false;
  const onSignal = (): void => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write('interrupted: stopping every process started here\n');
    void (async () => {
      await stopAll();
      await broker?.dispose();
      rmSync(work, { recursive: true, force: true });
      process.exit(130);
    })();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const results: StepResult[] = [];
  const failures: Array<{ mode: string; target: number | 'max'; error: string }> = [];
  const write = (): void => writeOutputs(o, info, results, failures);
  try {
    broker = await testBroker('bench-e2e');
    const started = await broker.start();
    if (started.pid === null) throw new Error('the broker started without a pid');
    process.stdout.write(`Kafka ${broker.brokers} (pid ${started.pid}, up in ${started.readyMs} ms)\n`);
    let index = 0;
    for (const mode of o.modes) {
      for (const target of o.rates) {
        if (interrupted) break;
        let r: StepResult;
        try {
          r = await runStep(o, broker, started.pid, work, mode, target, index++);
        } catch (e) {
          // One step that fails (e.g. a pipeline too far behind to answer) is reported; the others still run.
          const error = e instanceof Error ? e.message : String(e);
          process.stdout.write(`  ${mode.padEnd(6)} target ${String(target).padStart(7)}  FAILED: ${error}\n`);
          failures.push({ mode, target, error });
          await stopAll();
          write();
          continue;
        }
        // Later targets use the frames-per-step ratio the simulator actually showed.
        if (r.offered.stepsPerS > 0 && target !== 'max') o.framesPerStep = r.offered.framesPerS / r.offered.stepsPerS;
        results.push(r);
        printStep(r);
        write();
      }
    }
  } finally {
    await stopAll();
    await broker?.dispose();
    rmSync(work, { recursive: true, force: true });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (o.json !== undefined) process.stdout.write(`wrote ${o.json}\n`);
  if (o.svg !== undefined) process.stdout.write(`wrote ${o.svg}\n`);
  if (failures.length > 0) process.exitCode = 1;
}

/** Writes the JSON and the chart with the steps done so far (called after every step). */
function writeOutputs(
  o: Options,
  info: Record<string, unknown>,
  results: StepResult[],
  failures: Array<{ mode: string; target: number | 'max'; error: string }>,
): void {
  const params = { ...o, json: undefined, svg: undefined };
  if (o.json !== undefined) {
    writeFileSync(o.json, `${JSON.stringify({ machine: info, params, results, failures }, null, 2)}\n`);
  }
  if (o.svg !== undefined && results.length > 0) {
    const point = (r: StepResult, stage: string): ChartPoint => ({
      mode: r.mode,
      rate: r.offered.framesPerS,
      values: Object.fromEntries(QUANTILES.map(([n]) => [n, r.latency[stage]![n]!])),
    });
    const svg = latencyChart(
      [
        {
          title: 'receive → handoff to the producer',
          points: results.map((r) => point(r, 'recv_to_handoff')),
          target: { value: 1e-3, label: 'p99 target 1 ms (at 20k/s)' },
        },
        {
          title: 'receive → Kafka ack',
          points: results.map((r) => point(r, 'recv_to_ack')),
          target: { value: 10e-3, label: 'p99 target 10 ms' },
        },
      ],
      `tickwire ${String(info['commit'])} · ${String(info['cpu'])} × ${String(info['cores'])} · Node ${process.version} · ` +
        `${o.durationS} s per step · ${String(info['date']).slice(0, 10)}`,
    );
    writeFileSync(o.svg, svg);
  }
}

main().catch(async (error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  await stopAll();
  process.exitCode = 1;
});
