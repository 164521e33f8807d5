// `npm run soak -- --minutes N`: the pipeline (`tickwire run`, its own
// process) against the simulator at a steady rate into a real broker, one
// report line per minute (RSS, heap, handles, latency percentiles of that
// minute). Passes when RSS and handles stop growing, p99 stays within 2× of
// the first minute's, nothing is dropped and the shutdown is clean.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startBroker, stopBroker } from '../src/kafka/broker';
import { startSimulator } from '../src/simulator/server';
import { simulatorVenueUrls } from '../src/venues/manager';
import { isVenueId, type VenueId } from '../src/events';

const { values: o } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    rate: { type: 'string', default: '2000' },
    venues: { type: 'string', default: 'binance,okx,bybit' },
    symbols: { type: 'string', default: 'BTC-USDT,ETH-USDT' },
    json: { type: 'string' },
  },
});
const minutes = Number(o.minutes);
const rate = Number(o.rate);
if (!(minutes >= 1 && minutes <= 24 * 60 && Number.isInteger(minutes))) throw new Error('--minutes: an integer ≥ 1');
if (!(rate >= 1 && rate <= 100_000)) throw new Error('--rate: frames/s in [1, 100000]');
const venues = o.venues!.split(',').map((v) => v.trim());
for (const v of venues) if (!isVenueId(v)) throw new Error(`unknown venue ${v}`);
const symbols = o.symbols!.split(',').map((s) => s.trim());

const root = join(__dirname, '..');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A port p with p + 1 free too (the broker's controller listens on p + 1). */
async function freePortPair(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const p = await freePort();
    if (p >= 65534) continue;
    const ok = await new Promise<boolean>((res) => {
      const s = createServer();
      s.once('error', () => res(false));
      s.listen(p + 1, '127.0.0.1', () => s.close(() => res(true)));
    });
    if (ok) return p;
  }
  throw new Error('no free port pair');
}

/** `name{labels} value` lines of a Prometheus scrape. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    found = true;
  }
  return found ? sum : NaN;
}

interface Minute {
  minute: number;
  rssMb: number;
  hwmMb: number;
  heapMb: number;
  handles: number;
  framesPerS: number;
  ackedPerS: number;
  p50HandoffUs: number;
  p99HandoffUs: number;
  p99AckMs: number;
  maxAckMs: number;
}

function procStatus(pid: number, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const dir = mkdtempSync(join(tmpdir(), 'tickwire-soak-'));
// Undone in reverse order on the way out, and on SIGINT / SIGTERM so an
// interrupted soak leaves no pipeline or broker behind.
const cleanup: Array<() => Promise<unknown>> = [];
async function cleanUp(): Promise<void> {
  for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    process.stderr.write(`soak: ${signal}, stopping what it started\n`);
    void cleanUp().then(() => process.exit(130));
  });

async function main(): Promise<number> {
  try {
    let brokers = process.env['KAFKA_BROKERS'];
    if (brokers === undefined) {
      const port = await freePortPair();
      const kafkaDir = join(dir, 'kafka');
      await startBroker({ port, dir: kafkaDir });
      cleanup.push(() => stopBroker({ dir: kafkaDir }));
      brokers = `127.0.0.1:${port}`;
    }
    const sim = await startSimulator({ venues: venues as VenueId[], symbols, rate, seed: 1 });
    cleanup.push(() => sim.close());
    const metricsPort = await freePort();
    const base = `http://127.0.0.1:${sim.port}`;
    const config = {
      venues: Object.fromEntries(venues.map((v) => [v, { symbols, ...simulatorVenueUrls(base, v as VenueId) }])),
      sink: { brokers: [brokers], prefix: 'soak.', journal: { dir: join(dir, 'journal') } },
      observability: { port: metricsPort, metricsIntervalMs: 5000, logLevel: 'warn' },
    };
    const file = join(dir, 'soak.json');
    writeFileSync(file, JSON.stringify(config));
    const child = spawn(process.execPath, [join(root, 'bin', 'tickwire.js'), 'run', '--config', file], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    cleanup.push(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const url = `http://127.0.0.1:${metricsPort}`;
    const scrape = async (): Promise<string> => (await fetch(`${url}/metrics`)).text();
    const deadline = Date.now() + 90_000;
    for (;;) {
      const ready = await fetch(`${url}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ready) break;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error('the pipeline did not become ready');
      await sleep(500);
    }
    process.stdout.write(
      `soak: ${minutes} min at ${rate} frames/s offered (${venues.join(',')} × ${symbols.join(',')}), ` +
        `pipeline pid ${child.pid}, ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}\n` +
        'min   rss MB  hwm MB  heap MB  handles  frames/s  acked/s  handoff p50/p99 µs  ack p99/max ms\n',
    );
    child.kill('SIGUSR2'); // the warm-up stays out of the first minute's latency
    let prev = await scrape();
    const rows: Minute[] = [];
    // RSS every 5 s: a GC saw-tooth is judged by its peaks, not by two samples.
    const rss: number[] = [];
    const rssTimer = setInterval(() => rss.push(procStatus(child.pid!, 'VmRSS')), 5000);
    cleanup.push(async () => clearInterval(rssTimer));
    for (let minute = 1; minute <= minutes; minute++) {
      await sleep(60_000);
      const m = await scrape();
      child.kill('SIGUSR2');
      const q = (stage: string, quantile: string): number =>
        sample(m, 'tickwire_stage_latency_seconds', { stage, quantile }) * 1e6;
      const row: Minute = {
        minute,
        rssMb: sample(m, 'tickwire_process_resident_memory_bytes') / 2 ** 20,
        hwmMb: procStatus(child.pid!, 'VmHWM'),
        heapMb: sample(m, 'tickwire_nodejs_heap_size_used_bytes') / 2 ** 20,
        handles: sample(m, 'tickwire_nodejs_active_handles_total'),
        framesPerS: (sample(m, 'tickwire_feed_frames_total') - sample(prev, 'tickwire_feed_frames_total')) / 60,
        ackedPerS: (sample(m, 'tickwire_sink_delivered_total') - sample(prev, 'tickwire_sink_delivered_total')) / 60,
        p50HandoffUs: q('recv_to_handoff', '0.5'),
        p99HandoffUs: q('recv_to_handoff', '0.99'),
        p99AckMs: q('recv_to_ack', '0.99') / 1000,
        maxAckMs: q('recv_to_ack', '1') / 1000,
      };
      rows.push(row);
      prev = m;
      process.stdout.write(
        `${String(minute).padStart(3)} ${row.rssMb.toFixed(1).padStart(8)} ${row.hwmMb.toFixed(1).padStart(7)} ` +
          `${row.heapMb.toFixed(1).padStart(8)} ${String(row.handles).padStart(8)} ${row.framesPerS.toFixed(0).padStart(9)} ` +
          `${row.ackedPerS.toFixed(0).padStart(8)} ${row.p50HandoffUs.toFixed(0).padStart(9)}/${row.p99HandoffUs.toFixed(0).padEnd(9)}` +
          ` ${row.p99AckMs.toFixed(1).padStart(7)}/${row.maxAckMs.toFixed(1)}\n`,
      );
    }
    const final = prev;
    child.kill('SIGINT');
    const code = await Promise.race([exited, sleep(90_000).then(() => 'timeout' as const)]);

    const problems: string[] = [];
    if (code !== 0) problems.push(`the pipeline exited ${String(code)} after SIGINT`);
    const drops = sample(final, 'tickwire_ring_drops_total') + sample(final, 'tickwire_feed_drops_total');
    if (drops > 0) problems.push(`${drops} frames dropped`);
    if (sample(final, 'tickwire_record_errors_total') > 0) problems.push('engine records could not be handled');
    clearInterval(rssTimer);
    const first = rows[0]!;
    const last = rows[rows.length - 1]!;
    // Stopped growing: the peak of the last third is no higher than the peak of
    // the middle third (the first third is warm-up), give or take 10% / 24 MB:
    // V8 sizes its heap in steps (heap used swings 16-44 MB at a steady 2,000
    // frames/s), which moves RSS by up to ~16 MB at once with no leak behind it.
    const third = Math.floor(rss.length / 3);
    const midPeak = Math.max(...rss.slice(third, 2 * third));
    const lastPeak = Math.max(...rss.slice(2 * third));
    if (third >= 2 && lastPeak > midPeak + Math.max(24, midPeak * 0.1))
      problems.push(
        `RSS still growing: peak ${midPeak.toFixed(1)} MB in the middle third, ${lastPeak.toFixed(1)} MB in the last`,
      );
    const maxHandlesEarly = Math.max(...rows.slice(0, Math.max(1, Math.ceil(rows.length / 2))).map((r) => r.handles));
    if (last.handles > maxHandlesEarly + 5) problems.push(`handles grew from ${maxHandlesEarly} to ${last.handles}`);
    // A 1 ms floor: on a shared 2-core machine a sub-millisecond p99 doubles from noise alone.
    for (const r of rows) {
      if (r.p99HandoffUs > 2 * Math.max(first.p99HandoffUs, 1000))
        problems.push(
          `minute ${r.minute}: receive→handoff p99 ${r.p99HandoffUs.toFixed(0)} µs > 2× the first minute's`,
        );
      if (r.p99AckMs > 2 * Math.max(first.p99AckMs, 1))
        problems.push(`minute ${r.minute}: receive→ack p99 ${r.p99AckMs.toFixed(1)} ms > 2× the first minute's`);
    }
    if (o.json !== undefined)
      writeFileSync(
        o.json,
        JSON.stringify({ minutes, rate, venues, symbols, rows, rss, problems, cpu: cpus()[0]?.model }, null, 2),
      );
    process.stdout.write(
      `RSS every 5 s (MB): ${rss.map((r) => r.toFixed(0)).join(' ')}\n` +
        (problems.length === 0 ? 'soak: PASS\n' : `soak: FAIL\n  ${problems.join('\n  ')}\n`),
    );
    return problems.length === 0 ? 0 : 1;
  } finally {
    await cleanUp();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`soak: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
