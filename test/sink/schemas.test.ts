// Encodings without Kafka: every schema round-trips in JSON and binary; the
// binary version rules (skip unknown trailing bytes, refuse another major).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BinaryReader,
  BinaryWriter,
  decodeBinary,
  decodeJson,
  encodeValue,
  getSchema,
  registerSchema,
  unregisterSchema,
  SchemaError,
  type KnownSchemaName,
  type Schema,
} from '../../src/sink';
import { deserializeRecord, serializeRecord, type OutRecord } from '../../src/sink/record';
import { SAMPLES } from './support';

const NAMES = Object.keys(SAMPLES) as KnownSchemaName[];

test('every built-in schema round-trips through JSON and binary', () => {
  for (const name of NAMES) {
    const schema = getSchema(name);
    for (const v of SAMPLES[name] as unknown[]) {
      const bin = encodeValue(schema as Schema<unknown>, v, 'binary');
      assert.equal(bin[0], schema.id, `${name} id byte`);
      assert.equal(bin[1], (schema.version.major << 4) | schema.version.minor, `${name} version byte`);
      const db = decodeBinary(bin);
      assert.equal(db.schema.name, name);
      assert.deepEqual(db.value, v, `${name} binary`);
      const js = encodeValue(schema as Schema<unknown>, v, 'json');
      const dj = decodeJson(name, js, '1.0');
      assert.deepEqual(dj.value, v, `${name} json`);
    }
  }
});

test('binary is compact and JSON is plain JSON', () => {
  const t = SAMPLES['tick.trade'][0];
  assert.ok(t !== undefined);
  const bin = encodeValue(getSchema('tick.trade'), t, 'binary');
  const js = encodeValue(getSchema('tick.trade'), t, 'json');
  assert.ok(bin.length < js.length / 2, `binary ${bin.length} vs json ${js.length}`);
  assert.deepEqual(JSON.parse(js.toString('utf8')), t);
  const raw = SAMPLES.raw[1];
  assert.ok(raw !== undefined);
  const rawJson = JSON.parse(encodeValue(getSchema('raw'), raw, 'json').toString('utf8')) as Record<string, unknown>;
  assert.equal(rawJson['frameBase64'], raw.frame.toString('base64'), 'non-UTF-8 frames are base64 in JSON');
});

test('readers skip unknown trailing bytes (later minor) and refuse another major', () => {
  const t = SAMPLES['tick.bbo'][0];
  assert.ok(t !== undefined);
  const bin = encodeValue(getSchema('tick.bbo'), t, 'binary');
  // A writer at minor 3 appended fields this reader does not know.
  const newer = Buffer.concat([bin, Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9])]);
  newer[1] = (1 << 4) | 3;
  const d = decodeBinary(newer);
  assert.deepEqual(d.value, t);
  assert.deepEqual(d.version, { major: 1, minor: 3 });
  const major2 = Buffer.from(bin);
  major2[1] = 2 << 4;
  assert.throws(() => decodeBinary(major2), /only understands major 1/);
  assert.throws(() => decodeJson('tick.bbo', Buffer.from(JSON.stringify(t)), '2.0'), SchemaError);
  assert.throws(() => decodeBinary(Buffer.from([200, 0x10])), /unknown schema id 200/);
  assert.throws(() => decodeBinary(bin.subarray(0, bin.length - 3)), /truncated/);
});

test('a signal schema is added by registering an entry', () => {
  interface Ema {
    venue: string;
    symbol: string;
    ts: number;
    value: number;
  }
  const ema: Schema<Ema> = {
    name: 'test.ema',
    id: 250,
    version: { major: 1, minor: 0 },
    kind: 'signal',
    signal: 'ema',
    policy: 'conflate',
    topic: (prefix) => `${prefix}signals.ema`,
    key: (v) => `${v.venue}:${v.symbol}`,
    recvNs: (v) => BigInt(v.ts) * 1000n,
    toJson: (v) => JSON.stringify(v),
    fromJson: (s) => JSON.parse(s) as Ema,
    writeBinary: (w: BinaryWriter, v) => void w.str16(v.venue).str16(v.symbol).i64(v.ts).f64(v.value),
    readBinary: (r: BinaryReader) => ({ venue: r.str16(), symbol: r.str16(), ts: r.i64() ?? 0, value: r.f64() }),
  };
  registerSchema(ema);
  try {
    assert.throws(() => registerSchema(ema), /clashes/);
    const v = { venue: '*', symbol: 'BTC-USDT', ts: 1_700_000_000_000_000, value: 43_000.25 };
    assert.deepEqual(decodeBinary(encodeValue(ema, v, 'binary')).value, v);
  } finally {
    unregisterSchema('test.ema');
  }
});

test('i64 fields keep negative and large values', () => {
  const w = new BinaryWriter(4);
  const vals = [0, 1, -1, -2, 2 ** 53 - 1, -(2 ** 53 - 1), 4_294_967_296, -4_294_967_296, 1_700_000_000_000_000];
  for (const v of vals) w.i64(v);
  w.i64(null);
  const r = new BinaryReader(w.done());
  // -1 is the null marker, so it reads back as null by design.
  for (const v of vals) assert.equal(r.i64(), v === -1 ? null : v);
  assert.equal(r.i64(), null);
});

test('journal record serialization keeps topic, key, headers and value', () => {
  const rec: OutRecord = {
    topic: 'md.ticks',
    key: 'binance:BTC-USDT',
    value: Buffer.from([0, 1, 2, 255]),
    headers: { schema: 'tick.trade', 'schema-version': '1.0', 'recv-ns': '1', 'emit-ns': '2', encoding: 'binary' },
    schema: 'tick.trade',
    policy: 'never-drop',
    timestampMs: 1_700_000_000_123,
    size: 0,
    handoff: 5n,
  };
  const back = deserializeRecord(serializeRecord(rec));
  assert.equal(back.topic, rec.topic);
  assert.equal(back.key, rec.key);
  assert.deepEqual(back.headers, rec.headers);
  assert.deepEqual(back.value, rec.value);
  assert.equal(back.timestampMs, rec.timestampMs);
  assert.equal(back.policy, 'never-drop');
});
