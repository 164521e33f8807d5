import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const fixtures = join(root, '..', 'shared', 'fixtures', 'venues');
const FOLDER_TO_VENUE: Record<string, string> = {
  'binance-spot': 'binance',
  'binance-usdm': 'binance-futures',
  'coinbase-exchange': 'coinbase',
  'coinbase-advanced': 'coinbase-advanced',
  'kraken-v2': 'kraken',
  'bybit-v5': 'bybit',
  'okx-v5': 'okx',
};

function tickwire(args: string[], input: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'tickwire.js'), ...args], {
    input,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function captureRecords(): string[] {
  const lines: string[] = [];
  for (const [folder, venue] of Object.entries(FOLDER_TO_VENUE)) {
    for (const file of readdirSync(join(fixtures, folder)).filter((f) => f.endsWith('.jsonl'))) {
      for (const line of readFileSync(join(fixtures, folder, file), 'utf8')
        .split('\n')
        .filter(Boolean)) {
        const record = JSON.parse(line) as { raw: string; expected: { category?: string } };
        const market =
          record.expected.category === 'linear' || record.expected.category === 'inverse' ? 'perp' : 'spot';
        lines.push(JSON.stringify({ venue, raw: record.raw, recvTs: 1_700_000_000_000_000, market }));
      }
    }
  }
  return lines;
}

test('normalize turns every fixture capture record into events, and the native and TS engines print the same lines', () => {
  const input = captureRecords().join('\n') + '\n';
  const native = tickwire(['normalize'], input);
  const reference = tickwire(['normalize', '--engine', 'ts'], input);
  assert.equal(native.status, 0, native.stderr);
  assert.equal(reference.status, 0, reference.stderr);
  const lines = native.stdout.trim().split('\n');
  assert.ok(lines.length > 500, `only ${lines.length} events from the fixtures`);
  for (const line of lines) assert.doesNotThrow(() => JSON.parse(line));
  assert.equal(native.stdout, reference.stdout);
});

test('normalize --venue reads raw frames, keeps order and rejects bad ones without stopping', () => {
  const input = [
    '{"e":"trade","E":1,"s":"BNBBTC","t":7,"p":"0.001","q":"100","T":1672515782136,"m":true}',
    '{"e":"trade","E":1,"s":"BNBBTC","t":8,"p":"-1","q":"100","T":1672515782136,"m":true}',
    '{"e":"trade"',
    '{"e":"trade","E":1,"s":"BNBBTC","t":9,"p":"0.002","q":"5","T":1672515782137,"m":false}',
  ].join('\n');
  const r = tickwire(['normalize', '--venue', 'binance'], input);
  assert.equal(r.status, 0, r.stderr);
  const events = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(
    events.map((e) => [e.type, e.id ?? e.reason]),
    [
      ['trade', '7'],
      ['reject', 'negative_value'],
      ['reject', 'malformed_json'],
      ['trade', '9'],
    ],
  );
  assert.equal(events[3]!.side, 'buy');
  assert.equal(events[3]!.ts, 1672515782137000);
});

test('normalize reports bad capture records by line number and exits 1, still printing the good ones', () => {
  const input = [
    '{"venue":"nowhere","raw":"{}","recvTs":1}',
    JSON.stringify({ venue: 'okx', raw: 'pong', recvTs: 5 }),
    'garbage',
  ].join('\n');
  const r = tickwire(['normalize'], input);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /line 1: capture record has an unknown venue "nowhere"/);
  assert.match(r.stderr, /line 3: not a JSON capture record/);
  assert.match(r.stderr, /2 of 3 input lines were not valid capture records/);
  assert.deepEqual(JSON.parse(r.stdout.trim()), { type: 'status', venue: 'okx', kind: 'pong' });
});

test('normalize refuses unknown options and venues with usage errors', () => {
  assert.equal(tickwire(['normalize', '--venue', 'mtgox'], '').status, 2);
  assert.equal(tickwire(['normalize', '--engine', 'gpu'], '').status, 2);
  const r = tickwire(['normalize', '--frobnicate'], '');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /usage: tickwire normalize/);
});

test('a frame above --max-frame-bytes is rejected as oversized by both engines', () => {
  const big = JSON.stringify({ e: 'trade', pad: 'x'.repeat(5000) });
  for (const engine of ['native', 'ts']) {
    const r = tickwire(['normalize', '--venue', 'binance', '--max-frame-bytes', '1024', '--engine', engine], big);
    assert.equal(r.status, 0, r.stderr);
    const event = JSON.parse(r.stdout) as { reason: string; sample: string };
    assert.equal(event.reason, 'oversized');
    assert.equal(event.sample, big.slice(0, 96));
  }
});

test('a reader that closes the pipe early ends the command quietly (no EPIPE crash)', () => {
  const input = Array.from(
    { length: 20_000 },
    (_, i) => `{"e":"trade","E":1,"s":"BNBBTC","t":${i},"p":"0.001","q":"1","T":1,"m":true}`,
  ).join('\n');
  const r = spawnSync('bash', ['-c', `node ${join(root, 'bin', 'tickwire.js')} normalize --venue binance | head -1`], {
    input,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0);
  assert.equal(r.stdout.trim().split('\n').length, 1);
  assert.doesNotMatch(r.stderr, /EPIPE|Unhandled/);
});
