// close() leaves no handles behind; the CLI starts, prints the URLs and stops
// at --duration with exit code 0; limits are enforced.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { parseArgs } from '../../src/cli/simulate';
import { startSimulator } from '../../src/simulator/server';
import { Client } from './helpers';

const ROOT = resolve(__dirname, '../..');

function handles(): Record<string, number> {
  const out: Record<string, number> = {};
  // Sockets, servers and timers; the runner's own file reads come and go.
  for (const r of process.getActiveResourcesInfo()) if (!r.startsWith('FS')) out[r] = (out[r] ?? 0) + 1;
  return out;
}

describe('simulator lifecycle', { timeout: 30_000 }, () => {
  it('close() closes every socket and timer', async () => {
    await new Promise((r) => setImmediate(r));
    const before = handles();
    const sim = await startSimulator({ rate: 2000, seed: 3 });
    const clients = await Promise.all([
      Client.connect(`${sim.urls.binance!.ws}/btcusdt@depth`),
      Client.connect(sim.urls.kraken!.ws),
      Client.connect(sim.urls.okx!.ws),
    ]);
    clients[2]!.send({ op: 'subscribe', args: [{ channel: 'books', instId: 'BTC-USDT' }] });
    await clients[0]!.waitFor('depthUpdate');
    await clients[2]!.waitFor('"action":"snapshot"');
    const res = await fetch(`${sim.urls.binance!.rest}/api/v3/depth?symbol=BTCUSDT&limit=5`, { keepalive: true });
    assert.equal(res.status, 200);
    await res.text();
    assert.ok(sim.stats().connectionsOpen === 3);
    await sim.close();
    for (const c of clients) await c.until(() => c.closeCode !== undefined, 3000, 'client close');
    // fetch's keep-alive pool closes its socket when the server does; give it a tick.
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(handles(), before);
    assert.ok(sim.stats().modelSteps > 0);
  });

  it('durationMs stops the simulator by itself; binds 127.0.0.1 only', async () => {
    const sim = await startSimulator({ venues: ['coinbase'], rate: 100, durationMs: 200 });
    assert.match(sim.urls.coinbase!.ws, /^ws:\/\/127\.0\.0\.1:\d+\/coinbase$/);
    const t0 = Date.now();
    await sim.closed;
    assert.ok(Date.now() - t0 < 2000);
  });

  it('refuses rates above the limit and bad options', async () => {
    await assert.rejects(startSimulator({ rate: 2_000_000 }), /rate/);
    await assert.rejects(startSimulator({ symbols: ['BTCUSDT'] }), /bad symbol/);
    assert.throws(() => parseArgs(['--rate', '1000001']), /rate/);
    assert.throws(() => parseArgs(['--venues', 'mtgox']), /unknown venue/);
    assert.throws(() => parseArgs(['--duration', 'soon']), /duration/);
    assert.deepEqual(
      parseArgs(['--venues', 'binance,kraken', '--rate=500', '--duration', '2s', '--fault', 'drop:0.1']),
      {
        venues: ['binance', 'kraken'],
        rate: 500,
        durationMs: 2000,
        faults: [{ kind: 'drop', probability: 0.1 }],
      },
    );
  });

  it('CLI prints one line per venue, exits 0 after --duration and on SIGTERM', async () => {
    const runCli = (args: string[], sigterm: boolean): Promise<{ code: number | null; out: string }> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'simulate', ...args], {
          cwd: ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (sigterm && out.split('\n').length > 3) child.kill('SIGTERM');
        });
        child.stderr.on('data', () => undefined);
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.on('error', reject);
        child.on('exit', (code) => {
          clearTimeout(timer);
          resolve({ code, out });
        });
      });
    const a = await runCli(
      [
        '--venues',
        'binance,coinbase,kraken',
        '--symbols',
        'BTC-USDT,ETH-USDT',
        '--rate',
        '2000',
        '--seed',
        '7',
        '--port',
        '0',
        '--duration',
        '500ms',
      ],
      false,
    );
    assert.equal(a.code, 0);
    const lines = a.out.trim().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0]!, /^binance ws:\/\/127\.0\.0\.1:\d+\/binance\/ws rest http:\/\/127\.0\.0\.1:\d+\/binance$/);
    assert.match(lines[1]!, /^coinbase ws:\/\/127\.0\.0\.1:\d+\/coinbase rest http:\/\/127\.0\.0\.1:\d+\/coinbase$/);
    assert.match(lines[2]!, /^kraken ws:\/\/127\.0\.0\.1:\d+\/kraken\/v2 rest http:\/\/127\.0\.0\.1:\d+\/kraken$/);
    const b = await runCli(['--venues', 'okx,bybit,binance', '--rate', '1000'], true);
    assert.equal(b.code, 0);
    assert.match(
      b.out,
      /^bybit ws:\/\/\S+\/bybit\/v5\/public\/spot rest \S+ ws-linear \S+\/bybit\/v5\/public\/linear$/m,
    );
  });
});
