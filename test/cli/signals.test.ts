import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const fixtures = join(root, '..', 'shared', 'fixtures', 'venues');

function tickwire(args: string[], input: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'tickwire.js'), ...args], { input, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Binance trades and quotes from the fixtures, spread over 3 s of event time, as capture records. */
function tradesAndQuotes(): string {
  const lines: string[] = [];
  for (const file of ['trade.jsonl', 'aggTrade.jsonl', 'bookTicker.jsonl']) {
    for (const line of readFileSync(join(fixtures, 'binance-spot', file), 'utf8')
      .split('\n')
      .filter(Boolean)) {
      lines.push(
        JSON.stringify({
          venue: 'binance',
          raw: (JSON.parse(line) as { raw: string }).raw,
          recvTs: 1_700_000_000_000_000 + lines.length * 250_000,
        }),
      );
    }
  }
  return lines.join('\n') + '\n';
}

function parse(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function close(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number')
    return a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
  return a === b;
}

test('signals from trades and venue quotes: the native engine and the TS reference emit the same records', () => {
  const input = tradesAndQuotes();
  const native = tickwire(['signals'], input);
  const reference = tickwire(['signals', '--engine', 'ts'], input);
  assert.equal(native.status, 0, native.stderr);
  assert.equal(reference.status, 0, reference.stderr);
  const a = parse(native.stdout);
  const b = parse(reference.stdout);
  assert.ok(a.length > 20, `only ${a.length} signal records`);
  assert.deepEqual(
    a.map((s) => s.signal),
    b.map((s) => s.signal),
  );
  a.forEach((s, i) => {
    for (const key of Object.keys(s))
      assert.ok(
        close(s[key], b[i]![key]),
        `record ${i} (${String(s.signal)}) field ${key}: ${String(s[key])} vs ${String(b[i]![key])}`,
      );
  });
  const kinds = new Set(a.map((s) => s.signal));
  for (const kind of ['trade_stats', 'ema', 'bbo', 'ofi']) assert.ok(kinds.has(kind), `no ${kind} records`);
});

/**
 * Book sequences (Binance spot with its REST snapshot, OKX, Kraken) with the
 * venues' trades and quotes, as capture records 100 ms apart.
 */
function booksTradesAndQuotes(): string {
  const lines: string[] = [];
  const add = (venue: string, folder: string, file: string, wrap?: (raw: string, symbol: string) => string): void => {
    for (const line of readFileSync(join(fixtures, folder, file), 'utf8')
      .split('\n')
      .filter(Boolean)) {
      const r = JSON.parse(line) as { raw: string; expected: { symbol?: string } };
      const raw = wrap ? wrap(r.raw, r.expected.symbol ?? '') : r.raw;
      lines.push(JSON.stringify({ venue, raw, recvTs: 1_700_000_000_000_000 + lines.length * 100_000 }));
    }
  };
  const rest = (raw: string, symbol: string): string =>
    raw.startsWith('{"lastUpdateId"') ? `{"rest":${raw},"symbol":"${symbol}"}` : raw;
  add('binance', 'binance-spot', 'bookTicker.jsonl');
  add('binance', 'binance-spot', 'depth_sync_sequence.jsonl', rest);
  add('binance', 'binance-spot', 'trade.jsonl');
  add('okx', 'okx-v5', 'tickers.jsonl');
  add('okx', 'okx-v5', 'books_sequence.jsonl');
  add('okx', 'okx-v5', 'trades.jsonl');
  add('kraken', 'kraken-v2', 'book_sequence.jsonl');
  add('kraken', 'kraken-v2', 'trade.jsonl');
  return lines.join('\n') + '\n';
}

test('signals with order books: --engine native and --engine ts print the same records', () => {
  const input = booksTradesAndQuotes();
  const native = tickwire(['signals', '--engine', 'native'], input);
  const reference = tickwire(['signals', '--engine', 'ts'], input);
  assert.equal(native.status, 0, native.stderr);
  assert.equal(reference.status, 0, reference.stderr);
  const a = parse(native.stdout);
  const b = parse(reference.stdout);
  assert.equal(a.length, b.length, 'record count');
  a.forEach((s, i) => {
    assert.deepEqual(Object.keys(s), Object.keys(b[i]!), `record ${i}: fields`);
    for (const key of Object.keys(s))
      assert.ok(
        close(s[key], b[i]![key]),
        `record ${i} (${String(s.signal)}) field ${key}: ${String(s[key])} vs ${String(b[i]![key])}`,
      );
  });
  // Book-derived signals are there, from both engines.
  const kinds = new Set(a.map((s) => s.signal));
  for (const kind of ['bbo', 'depth_imbalance', 'ofi', 'nbbo', 'trade_stats']) assert.ok(kinds.has(kind), `no ${kind}`);
  assert.ok(
    b.some((s) => s.signal === 'depth_imbalance' && s.venue === 'kraken'),
    'the reference derives depth from the Kraken book',
  );
  // Lines differ at most in the last digits of a float (ema/rv use log/pow).
  const same = native.stdout.split('\n').filter((l, i) => l === reference.stdout.split('\n')[i]).length;
  assert.ok(same >= a.length * 0.9, `only ${same} of ${a.length} lines identical`);
});

test('--signals selects kinds and --config sets parameters, for both engines', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickwire-signals-'));
  const config = join(dir, 'signals.json');
  writeFileSync(config, JSON.stringify({ emaHalfLivesUs: [5_000_000] }));
  for (const engine of ['native', 'ts']) {
    const r = tickwire(['signals', '--engine', engine, '--signals', 'ema', '--config', config], tradesAndQuotes());
    assert.equal(r.status, 0, r.stderr);
    const records = parse(r.stdout);
    assert.ok(records.length > 0);
    for (const s of records) {
      assert.equal(s.signal, 'ema');
      assert.equal(s.halfLife, 5_000_000);
    }
  }
});

test('signals refuses unknown signal names and bad parameters with a clear message', () => {
  const r = tickwire(['signals', '--signals', 'bbo,vibes'], '');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown signal\(s\) vibes/);
  const dir = mkdtempSync(join(tmpdir(), 'tickwire-signals-'));
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ latePolicy: 'sometimes' }));
  const bad = tickwire(['signals', '--config', join(dir, 'bad.json')], tradesAndQuotes());
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /latePolicy must be 'drop' or 'revise'/);
});
