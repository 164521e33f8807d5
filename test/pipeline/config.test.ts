// The run configuration: defaults, every problem reported by path, environment
// overrides, sharding and redaction.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  ConfigError,
  DEFAULT_CONFIG,
  applyEnv,
  loadConfig,
  redactConfig,
  shardOf,
  shardVenues,
  validateConfig,
} from '../../src/pipeline/config';
import { embeddedConfig } from '../../src/pipeline/embedded';

function problems(raw: unknown): string[] {
  try {
    validateConfig(raw);
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('run config', () => {
  it('fills defaults around a minimal config', () => {
    const c = validateConfig({ venues: { binance: { symbols: ['BTC-USDT'] } } });
    assert.deepEqual(c.venues, { binance: { symbols: ['BTC-USDT'], channels: undefined } });
    assert.deepEqual(c.sink, DEFAULT_CONFIG.sink);
    assert.deepEqual(c.engine, DEFAULT_CONFIG.engine);
    assert.equal(c.observability.host, '127.0.0.1');
    assert.deepEqual(c.shard, { index: 0, count: 1 });
  });

  it('lists every problem with its path, not just the first', () => {
    const p = problems({
      venues: { binanse: { symbols: ['BTC-USDT'] }, okx: { symbols: ['BTCUSDT'], chanels: ['book'] } },
      engine: { mode: 'turbo', inputRingBytes: 3 << 20 },
      sink: { brokers: 'nope', acks: 1, encoding: 'avro' },
      signals: { publish: ['bbo', 'vwap'], params: { latePolicy: 'keep' } },
      observability: { port: 70000 },
      shard: '3/2',
      extra: true,
    });
    const paths = p.map((line) => line.slice(0, line.indexOf(':')));
    assert.deepEqual(paths.sort(), [
      'engine.inputRingBytes',
      'engine.mode',
      'extra',
      'observability.port',
      'shard',
      'signals.params.latePolicy',
      'signals.publish',
      'sink.acks',
      'sink.brokers',
      'sink.encoding',
      'venues.binanse',
      'venues.okx.chanels',
      'venues.okx.symbols[0]',
    ]);
    assert.match(
      p.find((l) => l.startsWith('engine.inputRingBytes'))!,
      /power of two/,
    );
  });

  it('needs venues', () => {
    assert.match(problems({})[0]!, /^venues: required/);
    assert.match(problems({ venues: {} })[0]!, /^venues: must be a mapping/);
  });

  it('reads YAML and JSON files and reports unreadable or unparsable ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickwire-config-'));
    writeFileSync(join(dir, 'a.yaml'), 'venues:\n  kraken: { symbols: [BTC-USD] }\nsink: { encoding: binary }\n');
    writeFileSync(join(dir, 'b.json'), '{"venues":{"okx":{"symbols":["BTC-USDT-PERP"]}},"shard":"1/3"}');
    writeFileSync(join(dir, 'c.yaml'), 'venues: [\n');
    assert.equal(loadConfig(join(dir, 'a.yaml'), {}).sink.encoding, 'binary');
    assert.deepEqual(loadConfig(join(dir, 'b.json'), {}).shard, { index: 1, count: 3 });
    assert.throws(() => loadConfig(join(dir, 'c.yaml'), {}), /not valid YAML/);
    assert.throws(() => loadConfig(join(dir, 'missing.yaml'), {}), /cannot read \(ENOENT\)/);
  });

  it('applies environment overrides, and validates them like the file', () => {
    const raw = { venues: { binance: { symbols: ['BTC-USDT'] } }, sink: { brokers: ['10.0.0.1:9092'] } };
    const c = validateConfig(
      applyEnv(raw, { KAFKA_BROKERS: 'a:1,b:2', TICKWIRE_METRICS_PORT: '0', TICKWIRE_SHARD: '1/2' }),
    );
    assert.deepEqual(c.sink.brokers, ['a:1', 'b:2']);
    assert.equal(c.observability.port, 0);
    assert.deepEqual(c.shard, { index: 1, count: 2 });
    assert.deepEqual(raw.sink.brokers, ['10.0.0.1:9092'], 'the document itself is not modified');
    assert.match(problems(applyEnv(raw, { TICKWIRE_METRICS_PORT: 'x' }))[0]!, /^observability\.port/);
  });

  it('splits instruments across shards: disjoint, complete, stable', () => {
    const symbols = ['BTC-USDT', 'ETH-USDT', 'SOL-USDT', 'XRP-USDT', 'ADA-USDT', 'DOGE-USDT'];
    const raw = { venues: { binance: { symbols }, okx: { symbols } } };
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const v = shardVenues(validateConfig({ ...raw, shard: `${i}/3` }));
      for (const [venue, vc] of Object.entries(v)) for (const s of vc!.symbols) seen.push(`${venue}:${s}`);
    }
    assert.equal(seen.length, 12);
    assert.equal(new Set(seen).size, 12);
    assert.equal(shardOf('binance', 'BTC-USDT', 3), shardOf('binance', 'BTC-USDT', 3));
    assert.deepEqual(shardVenues(validateConfig(raw)), validateConfig(raw).venues);
  });

  it('hides credentials when printed', () => {
    const c = validateConfig({
      venues: { coinbase: { symbols: ['BTC-USD'] } },
      sink: { sasl: { mechanism: 'plain', username: 'u', password: 'hunter2' } },
    });
    const text = JSON.stringify(redactConfig(c));
    assert.ok(!text.includes('hunter2'));
    assert.match(text, /"password":"\*\*\*"/);
    assert.equal(c.sink.sasl?.password, 'hunter2', 'the config itself keeps the secret');
  });

  it('embedded defaults: simulator, three venues × three symbols, a live view', () => {
    const c = embeddedConfig({});
    assert.equal(c.simulator.enabled, true);
    assert.deepEqual(Object.keys(c.venues).sort(), ['binance', 'bybit', 'okx']);
    for (const v of Object.values(c.venues)) assert.equal(v!.symbols.length, 3);
    assert.equal(c.observability.viewIntervalMs, 1000);
    assert.deepEqual(embeddedConfig({ KAFKA_BROKERS: '127.0.0.1:19092' }).sink.brokers, ['127.0.0.1:19092']);
  });
});
