// `tickwire start`, `tickwire run` and `tickwire config` as a user runs them:
// real processes, real signals. npm start with a broker shows signals and
// exits 0 on SIGINT; without Java it prints signals instead; a bad config, an
// unreachable broker and a taken port each fail with a clear line, non-zero,
// and leave nothing running.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { probe, stopBroker } from '../../src/kafka/broker';
import { freePortPair, waitFor } from '../sink/support';

const root = join(__dirname, '..', '..');
const bin = join(root, 'bin', 'tickwire.js');

interface Running {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exit: Promise<number | null>;
}

function launch(args: string[], env: NodeJS.ProcessEnv, cwd: string): Running {
  const child = spawn(process.execPath, [bin, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exit };
}

function run(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, env, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The environment without anything that would point tickwire elsewhere. */
function cleanEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('KAFKA_') || k.startsWith('TICKWIRE_')) delete env[k];
  return { ...env, ...extra };
}

async function withinSeconds<T>(p: Promise<T>, s: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<T>(
        (_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${s} s`)), s * 1000)),
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const VENUE_LINE = /^\s+(binance|okx|bybit)\s+BTC-USDT\s+[\d.]+ \/ [\d.]+ \(/m;

describe('tickwire start / run / config', { timeout: 300_000 }, () => {
  let cwd: string;
  before(() => {
    cwd = mkdtempSync(join(tmpdir(), 'tickwire-run-'));
  });
  after(async () => {
    // A broker left by a failed test must not outlive it.
    await stopBroker({ dir: join(cwd, '.tickwire', 'kafka') }).catch(() => undefined);
    rmSync(cwd, { recursive: true, force: true });
  });

  it('npm start: starts its broker, signals in the live view and acked by Kafka within 60 s, exit 0 on SIGINT, broker stopped', async () => {
    const port = await freePortPair();
    const r = launch(['start'], cleanEnv({ TICKWIRE_KAFKA_PORT: String(port), TICKWIRE_METRICS_PORT: '0' }), cwd);
    try {
      await waitFor(
        'signals in the live view and records acked by Kafka',
        () => VENUE_LINE.test(r.out()) && /^kafka\s+connected\s+acked [1-9]/m.test(r.out()),
        60_000,
        200,
      );
      assert.match(r.err(), new RegExp(`starting a local Kafka broker on 127\\.0\\.0\\.1:${port}`));
      assert.match(r.out(), /latency \(last/);
      assert.match(r.out(), /^books\s*$/m);
    } finally {
      r.child.kill('SIGINT');
    }
    assert.equal(await withinSeconds(r.exit, 60, 'exit after SIGINT'), 0, r.err());
    assert.match(r.err(), /stopped cleanly/);
    assert.match(r.err(), /stopping the local Kafka broker/);
    assert.equal(await probe('127.0.0.1', port, 1000), 'closed', 'the broker it started is gone');
  });

  it('npm start without Java: says so and prints signals to stdout, exit 0 on SIGINT', async () => {
    const port = await freePortPair(); // nothing answers there, so it would have to start a broker
    const r = launch(
      ['start'],
      cleanEnv({
        PATH: '/nonexistent',
        JAVA_HOME: '/nonexistent',
        TICKWIRE_KAFKA_PORT: String(port),
        TICKWIRE_METRICS_PORT: '0',
      }),
      cwd,
    );
    try {
      await waitFor('signal JSON lines on stdout', () => /^\{"signal":"bbo"/m.test(r.out()), 60_000, 200);
      assert.match(r.err(), /Java 17\+ is required/);
      assert.match(r.err(), /running without Kafka/);
    } finally {
      r.child.kill('SIGINT');
    }
    assert.equal(await withinSeconds(r.exit, 30, 'exit after SIGINT'), 0, r.err());
    for (const line of r.out().trim().split('\n')) assert.doesNotThrow(() => JSON.parse(line), line);
  });

  it('a bad config: every problem by path, exit 2', () => {
    const file = join(cwd, 'bad.yaml');
    writeFileSync(
      file,
      'venues:\n  okx: { symbols: [BTCUSDT] }\nsink: { encoding: avro }\nobservability: { port: -5 }\n',
    );
    const r = run(['run', '--config', file], cleanEnv({}), cwd);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /venues\.okx\.symbols\[0\]: bad symbol 'BTCUSDT'/);
    assert.match(r.stderr, /sink\.encoding: must be one of json, binary/);
    assert.match(r.stderr, /observability\.port: must be an integer/);
    const missing = run(['run', '--config', join(cwd, 'nope.yaml')], cleanEnv({}), cwd);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /nope\.yaml: cannot read \(ENOENT\)/);
  });

  it('an unreachable broker: a clear line, exit 1, nothing started', async () => {
    const port = await freePortPair();
    const file = join(cwd, 'dead.yaml');
    writeFileSync(
      file,
      `venues: { binance: { symbols: [BTC-USDT] } }\nsimulator: { enabled: true }\nsink: { brokers: [127.0.0.1:${port}] }\nobservability: { port: 0 }\n`,
    );
    const r = launch(['run', '--config', file], cleanEnv({}), cwd);
    assert.equal(await withinSeconds(r.exit, 30, 'exit'), 1);
    assert.match(r.err(), new RegExp(`no Kafka broker answers at 127\\.0\\.0\\.1:${port} \\(connection refused\\)`));
    assert.doesNotMatch(r.err(), /simulator started/);
  });

  it('a taken metrics port: a clear line, exit 1, everything started is stopped', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((res) => blocker.listen(0, '127.0.0.1', res));
    const port = (blocker.address() as { port: number }).port;
    try {
      const file = join(cwd, 'port.yaml');
      writeFileSync(
        file,
        `venues: { okx: { symbols: [BTC-USDT] } }\nsimulator: { enabled: true }\nsink: { output: stdout }\nobservability: { port: ${port} }\n`,
      );
      const r = launch(['run', '--config', file], cleanEnv({}), cwd);
      // Exiting by itself proves the simulator and the connectors were closed: they would keep it alive.
      assert.equal(await withinSeconds(r.exit, 30, 'exit'), 1);
      assert.match(r.err(), new RegExp(`metrics port 127\\.0\\.0\\.1:${port} is already in use`));
    } finally {
      blocker.close();
    }
  });

  it('config --print: the effective config with environment overrides and credentials hidden', () => {
    const file = join(cwd, 'sasl.yaml');
    writeFileSync(
      file,
      'venues: { coinbase: { symbols: [BTC-USD] } }\nsink: { sasl: { mechanism: plain, username: u, password: hunter2 } }\n',
    );
    const r = run(['config', '--print', '--config', file], cleanEnv({ KAFKA_BROKERS: 'k1:9093,k2:9093' }), cwd);
    assert.equal(r.status, 0, r.stderr);
    const c = JSON.parse(r.stdout) as { sink: { brokers: string[]; sasl: { password: string } } };
    assert.deepEqual(c.sink.brokers, ['k1:9093', 'k2:9093']);
    assert.equal(c.sink.sasl.password, '***');
    assert.ok(!r.stdout.includes('hunter2'));
    const embedded = run(['config', '--print'], cleanEnv({}), cwd);
    assert.equal(embedded.status, 0);
    assert.equal((JSON.parse(embedded.stdout) as { simulator: { enabled: boolean } }).simulator.enabled, true);
  });
});
