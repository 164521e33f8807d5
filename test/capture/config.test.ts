// The `source:` section of the run config, the CLI flags that set it, and the
// raw-record mapping the capture and the Kafka source share: what could go
// wrong silently (a flag lost between capture and compute, a typo becoming a
// default) fails here.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { flagsOfRaw, rawFromFrame, rawTopic } from '../../src/capture/raw';
import { ConfigError, DEFAULT_CONFIG, validateConfig } from '../../src/pipeline/config';
import { decodeBinary, decodeJson, encodeValue, getSchema, type RawFrame } from '../../src/sink/schemas';
import { FLAG_BACKFILLED } from '../../src/venues/types';

const venues = { binance: { symbols: ['BTC-USDT'] } };

function problems(raw: unknown): string[] {
  try {
    validateConfig(raw);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('source config', () => {
  it('defaults to the venues, with brokers and prefix taken from the sink', () => {
    const c = validateConfig({ venues, sink: { brokers: 'k1:9092,k2:9092', prefix: 'x.' } });
    assert.equal(c.source.type, 'venues');
    assert.deepEqual(c.source.brokers, ['k1:9092', 'k2:9092']);
    assert.equal(c.source.prefix, 'x.');
    assert.equal(c.source.groupId, DEFAULT_CONFIG.source.groupId);
    assert.equal(c.source.from, 'earliest');
    assert.equal(c.source.warmupMessages, 0);
  });

  it('reads every key', () => {
    const c = validateConfig({
      venues,
      source: {
        type: 'kafka',
        brokers: ['r:1'],
        prefix: 'cap.',
        groupId: 'g1',
        from: 'latest',
        commitIntervalMs: 250,
        commitTimeoutMs: 5000,
        warmupMessages: 100_000,
        maxBufferedMessages: 5000,
      },
    });
    assert.deepEqual(c.source, {
      type: 'kafka',
      brokers: ['r:1'],
      prefix: 'cap.',
      groupId: 'g1',
      from: 'latest',
      commitIntervalMs: 250,
      commitTimeoutMs: 5000,
      warmupMessages: 100_000,
      maxBufferedMessages: 5000,
    });
  });

  it('reports every problem by path', () => {
    const p = problems({
      venues,
      source: { type: 'file', brokers: ['nope'], from: 'middle', commitIntervalMs: 0, groupId: '', typo: 1 },
    });
    assert.deepEqual(
      p.map((x) => x.slice(0, x.indexOf(':'))).sort(),
      [
        'source.brokers',
        'source.commitIntervalMs',
        'source.from',
        'source.groupId',
        'source.type',
        'source.typo',
      ].sort(),
    );
  });

  it('refuses combinations the Kafka source cannot honour', () => {
    const p = problems({
      venues,
      engine: { mode: 'thread' },
      shard: '0/2',
      simulator: { enabled: true },
      source: { type: 'kafka' },
    });
    assert.equal(p.filter((x) => x.startsWith('source.type:')).length, 3, p.join('\n'));
    assert.ok(p.some((x) => /engine\.mode: inline/.test(x)));
    assert.ok(p.some((x) => /shard/.test(x)));
    assert.ok(p.some((x) => /simulator/.test(x)));
  });

  it('tickwire run --source/--group/--from override the file and are validated with it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickwire-source-cfg-'));
    try {
      const file = join(dir, 'c.json');
      writeFileSync(file, JSON.stringify({ venues, source: { groupId: 'from-file', commitIntervalMs: 300 } }));
      const bin = join(__dirname, '..', '..', 'bin', 'tickwire.js');
      const env = { ...process.env };
      for (const k of Object.keys(env)) if (k.startsWith('KAFKA_') || k.startsWith('TICKWIRE_')) delete env[k];
      const ok = spawnSync(
        process.execPath,
        [bin, 'run', '--config', file, '--source', 'kafka', '--group', 'g7', '--from', 'latest', '--print-config'],
        { encoding: 'utf8', env, timeout: 30_000 },
      );
      assert.equal(ok.status, 0, ok.stderr);
      const printed = JSON.parse(ok.stdout) as { source: Record<string, unknown> };
      assert.equal(printed.source['type'], 'kafka');
      assert.equal(printed.source['groupId'], 'g7');
      assert.equal(printed.source['from'], 'latest');
      assert.equal(printed.source['commitIntervalMs'], 300, 'keys the flags do not set stay');
      const bad = spawnSync(process.execPath, [bin, 'run', '--config', file, '--source', 'files'], {
        encoding: 'utf8',
        env,
        timeout: 30_000,
      });
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /source\.type: must be one of venues, kafka, got "files"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('raw records', () => {
  const frame = Buffer.from('{"e":"trade","s":"BTCUSDT","t":1}');
  const cases: Array<[string, number]> = [
    ['a spot frame', 0],
    ['a perp frame', 1],
    ['a backfilled spot trade', FLAG_BACKFILLED],
    ['a backfilled perp trade', FLAG_BACKFILLED | 1],
    ['a frame with a flag not defined yet', 0x4000_0000 | 1],
  ];
  for (const [name, flags] of cases) {
    it(`keeps the ring flags of ${name} through both encodings`, () => {
      const v = rawFromFrame('bybit', flags, 1_700_000_000_123_456_789n, frame);
      const schema = getSchema('raw');
      for (const encoding of ['json', 'binary'] as const) {
        const bytes = encodeValue(schema, v, encoding);
        const back = (encoding === 'json' ? decodeJson('raw', bytes) : decodeBinary(bytes)).value as RawFrame;
        assert.equal(flagsOfRaw(back), flags >>> 0, encoding);
        assert.equal(back.recvNs, 1_700_000_000_123_456_789n);
        assert.ok(back.frame.equals(frame));
      }
    });
  }

  it('keys plain frames by venue only, so a venue keeps one partition and its order', () => {
    const schema = getSchema('raw');
    assert.equal(schema.key(rawFromFrame('okx', 0, 1n, frame)), 'okx:*');
    assert.equal(schema.key(rawFromFrame('okx', 1, 1n, frame)), 'okx:*');
    assert.equal(schema.key(rawFromFrame('okx', FLAG_BACKFILLED, 1n, frame)), 'okx:flags=256');
    assert.equal(rawTopic('md.', 'okx'), 'md.raw.okx');
    assert.equal(schema.topic('md.', rawFromFrame('okx', 0, 1n, frame)), rawTopic('md.', 'okx'));
  });

  it('reads records written by another client without the flags label as plain frames', () => {
    assert.equal(flagsOfRaw({ venue: 'binance', recvNs: 1n, frame, conn: 'c17' }), 0);
    assert.equal(flagsOfRaw({ venue: 'binance', recvNs: 1n, frame, market: 'perp', conn: 'flags=x' }), 1);
  });
});
