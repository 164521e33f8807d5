// `tickwire record` against the simulator, then `tickwire replay` of the
// capture through the native pipeline: twice at max speed and once paced at
// 10×, with identical output each time (the output depends only on the capture).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, describe, it } from 'node:test';
import { run as record } from '../../src/cli/record';
import { run as replay } from '../../src/cli/replay';
import { guarded, withSim } from '../venues/helpers';

const dir = mkdtempSync(join(tmpdir(), 'tickwire-rr-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('record / replay', { timeout: 90_000 }, () => {
  it('records binance + okx from the simulator, replays identically', async () => {
    await guarded(() =>
      withSim({ venues: ['binance', 'okx'], symbols: ['BTC-USDT', 'ETH-USDT'], rate: 300 }, async (sim) => {
        const capture = join(dir, 'capture.jsonl.gz');
        const code = await record([
          '--venues',
          'binance,okx',
          '--symbols',
          'BTC-USDT,ETH-USDT',
          '--simulator',
          `http://127.0.0.1:${sim.port}`,
          '--out',
          capture,
          '--duration',
          '1.5s',
        ]);
        assert.equal(code, 0);
        const lines = gunzipSync(readFileSync(capture)).toString('utf8').trim().split('\n');
        assert.ok(lines.length > 100, `captured ${lines.length} frames`);
        const records = lines.map(
          (l) => JSON.parse(l) as { venue: string; raw: string; recvTs: number; market: string },
        );
        for (const r of records) {
          assert.ok(r.venue === 'binance' || r.venue === 'okx');
          assert.equal(typeof r.raw, 'string');
          assert.ok(Number.isSafeInteger(r.recvTs) && r.recvTs > 1.7e15);
          assert.ok(r.market === 'spot' || r.market === 'perp');
        }
        assert.ok(
          records.some((r) => r.raw.startsWith('{"rest":{"lastUpdateId"')),
          'Binance REST snapshot recorded',
        );

        const a = join(dir, 'a.jsonl');
        const b = join(dir, 'b.jsonl');
        const c = join(dir, 'c.jsonl');
        assert.equal(await replay(['--in', capture, '--speed', 'max', '--out', a]), 0);
        assert.equal(await replay(['--in', capture, '--speed', 'max', '--out', b]), 0);
        const t0 = Date.now();
        assert.equal(await replay(['--in', capture, '--speed', '10', '--out', c]), 0);
        const paced = Date.now() - t0;
        const span = (records.at(-1)!.recvTs - records[0]!.recvTs) / 1000;
        assert.ok(paced >= span / 10 - 50, `paced replay took ${paced} ms for a ${span} ms capture at 10x`);
        const outA = readFileSync(a, 'utf8');
        assert.equal(readFileSync(b, 'utf8'), outA, 'replay twice: identical');
        assert.equal(readFileSync(c, 'utf8'), outA, 'paced replay: identical');
        const events = outA
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { type: string; venue: string; recvTs?: number });
        for (const v of ['binance', 'okx']) {
          assert.ok(
            events.some((e) => e.type === 'trade' && e.venue === v),
            `${v} trades`,
          );
          assert.ok(
            events.some((e) => e.type === 'book' && e.venue === v),
            `${v} books`,
          );
        }
        // Receive times come from the capture.
        const recv = new Set(records.map((r) => r.recvTs));
        assert.ok(events.filter((e) => e.recvTs !== undefined).every((e) => recv.has(e.recvTs!)));

        // Plain .jsonl and --config work too.
        const cfg = join(dir, 'feeds.json');
        writeFileSync(cfg, JSON.stringify({ venues: { okx: { symbols: ['BTC-USDT'], channels: ['trades'] } } }));
        const plain = join(dir, 'capture2.jsonl');
        assert.equal(
          await record([
            '--config',
            cfg,
            '--simulator',
            `http://127.0.0.1:${sim.port}`,
            '--out',
            plain,
            '--duration',
            '500ms',
          ]),
          0,
        );
        assert.ok(readFileSync(plain, 'utf8').includes('"venue":"okx"'));
        assert.equal(await record(['--venues', 'nope', '--symbols', 'BTC-USDT', '--out', plain]), 2);
      }),
    );
  });
});
