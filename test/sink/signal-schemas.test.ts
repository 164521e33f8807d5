// The signal schemas without Kafka: every record the native engine computes
// from the venue fixtures round-trips through JSON and binary; the binary
// layout is the one docs/schemas.md gives byte by byte; keys, topics,
// policies and conflation slots; publishSignal on a sink that is not started.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { venueCode, type VenueId } from '../../src/events';
import type { BasisSignal, EmaSignal, NbboSignal, SignalRecord } from '../../src/engine/signals';
import {
  allSchemas,
  decodeBinary,
  decodeJson,
  encodeValue,
  findSchema,
  KafkaSink,
  publishSignal,
  SIGNAL_FIXED_BYTES,
  SIGNAL_SCHEMA_NAMES,
  SIGNAL_SCHEMAS,
  startupTopics,
  type Schema,
} from '../../src/sink';
import { fixtureSignals, SIGNAL_NAMES } from './signal-fixtures';
import { memoryLogger } from './support';

const schemaOf = (s: SignalRecord): Schema<SignalRecord> => SIGNAL_SCHEMAS[s.signal] as Schema<SignalRecord>;
const utf8 = (s: string): number => Buffer.byteLength(s, 'utf8');

test('the native engine gives every signal kind from the fixtures', () => {
  const kinds = new Set(fixtureSignals().map((f) => f.signal.signal));
  assert.deepEqual([...kinds].sort(), [...SIGNAL_NAMES].sort());
});

test('every fixture signal round-trips through binary and JSON; recv-ns defaults to emitTs', () => {
  const all = fixtureSignals();
  assert.ok(all.length > 500, `${all.length} records`);
  let sameAsRing = 0;
  for (const { signal: s, recvNs } of all) {
    const schema = schemaOf(s);
    const bin = encodeValue(schema, s, 'binary');
    const back = decodeBinary(bin);
    assert.equal(back.schema.name, `signal.${s.signal}`);
    assert.deepEqual(back.value, s, `${s.signal} binary`);
    const json = encodeValue(schema, s, 'json');
    assert.deepEqual(decodeJson(schema.name, json, '1.0').value, s, `${s.signal} json`);
    assert.deepEqual(JSON.parse(json.toString('utf8')), s, 'JSON is the record as it is');
    assert.equal(schema.recvNs(s), BigInt(s.emitTs) * 1000n, `${s.signal} recvNs`);
    if (schema.recvNs(s) === recvNs) sameAsRing++;
  }
  // The engine clock is the receive time of the input being processed, so the default matches the
  // ring header almost always (a few nbbo re-evaluations differ: the pipeline passes the header's).
  assert.ok(sameAsRing > all.length * 0.95, `${sameAsRing} of ${all.length} match the ring header's recvNs`);
});

test('binary layout: header, head, fixed fields, then the strings (docs/schemas.md)', () => {
  for (const { signal: s } of fixtureSignals()) {
    const schema = schemaOf(s);
    const b = encodeValue(schema, s, 'binary');
    const strings = 2 + utf8(s.symbol) + (s.signal === 'basis' ? 2 + utf8(s.perpSymbol) : 0);
    assert.equal(b.length, SIGNAL_FIXED_BYTES[s.signal] + strings, `${s.signal} length`);
    assert.equal(b[0], schema.id);
    assert.equal(b[1], 0x10, 'version 1.0');
    assert.equal(b[2], s.venue === null ? 0 : venueCode(s.venue), 'venue code');
    const crossed = s.signal === 'nbbo' && s.crossed ? 2 : 0;
    assert.equal(b[3], (s.valid ? 1 : 0) | crossed, 'flags');
    assert.equal(Number(b.readBigInt64LE(4)), s.ts, 'ts');
    assert.equal(Number(b.readBigInt64LE(12)), s.emitTs, 'emitTs');
    const fixed = SIGNAL_FIXED_BYTES[s.signal];
    assert.equal(b.readUInt16LE(fixed), utf8(s.symbol), 'symbol length right after the fixed part');
    assert.equal(b.toString('utf8', fixed + 2, fixed + 2 + utf8(s.symbol)), s.symbol);
    // Spot checks of one field per layout at its documented offset.
    switch (s.signal) {
      case 'bbo':
        assert.equal(b.readDoubleLE(20), s.bidPx);
        assert.equal(b.readDoubleLE(76), s.imbalance);
        break;
      case 'depth_imbalance':
        assert.equal(b.readUInt32LE(20), s.levels);
        assert.equal(b.readDoubleLE(24), s.value);
        break;
      case 'trade_stats':
        assert.equal(Number(b.readBigInt64LE(20)), s.window);
        assert.equal(b.readUInt32LE(28), s.trades);
        assert.equal(b.readDoubleLE(72), s.rv);
        break;
      case 'ema':
        assert.equal(Number(b.readBigInt64LE(20)), s.halfLife);
        assert.equal(b.readDoubleLE(28), s.value);
        break;
      case 'ofi':
        assert.equal(Number(b.readBigInt64LE(20)), s.window);
        assert.equal(b.readDoubleLE(28), s.value);
        break;
      case 'bar':
        assert.equal(Number(b.readBigInt64LE(28)), s.start);
        assert.equal(b.readDoubleLE(84), s.vwap);
        assert.equal(b.readUInt32LE(92), s.trades);
        assert.equal(b.readUInt32LE(96), s.revision);
        break;
      case 'nbbo':
        assert.equal(b.readDoubleLE(52), s.crossBps);
        assert.equal(b[60], s.bidVenue === null ? 0 : venueCode(s.bidVenue));
        assert.equal(b[61], s.askVenue === null ? 0 : venueCode(s.askVenue));
        break;
      case 'basis':
        assert.equal(b.readDoubleLE(36), s.bps);
        assert.equal(b[44], s.spotVenue === null ? 0 : venueCode(s.spotVenue));
        assert.equal(b[45], s.perpVenue === null ? 0 : venueCode(s.perpVenue));
        break;
    }
  }
});

test('keys, topics, ids and policies', () => {
  const expected = {
    bbo: 'conflate',
    depth_imbalance: 'conflate',
    trade_stats: 'never-drop',
    ema: 'conflate',
    ofi: 'conflate',
    bar: 'never-drop',
    nbbo: 'conflate',
    basis: 'conflate',
  } as const;
  const ids = new Set<number>();
  for (const kind of SIGNAL_NAMES) {
    const schema = SIGNAL_SCHEMAS[kind] as Schema<SignalRecord>;
    assert.equal(schema.name, SIGNAL_SCHEMA_NAMES[kind]);
    assert.equal(findSchema(schema.name), schema, 'registered');
    assert.equal(schema.kind, 'signal');
    assert.equal(schema.signal, kind);
    assert.equal(schema.policy, expected[kind], `${kind} policy`);
    assert.ok(schema.id >= 32 && schema.id <= 255 && !ids.has(schema.id), `${kind} id ${schema.id}`);
    ids.add(schema.id);
  }
  for (const { signal: s } of fixtureSignals()) {
    const schema = schemaOf(s);
    assert.equal(schema.key(s), `${s.venue ?? '*'}:${s.symbol}`);
    assert.equal(schema.topic('md.', s), `md.signals.${s.signal}`);
    assert.equal(schema.topic('x.', s), `x.signals.${s.signal}`);
  }
  const nbbo = fixtureSignals().find((f) => f.signal.signal === 'nbbo')?.signal;
  assert.ok(nbbo !== undefined && schemaOf(nbbo).key(nbbo).startsWith('*:'), 'consolidated key');
  const topics = startupTopics('md.', true);
  for (const kind of SIGNAL_NAMES) assert.ok(topics.includes(`md.signals.${kind}`), `startup topic for ${kind}`);
  assert.ok(allSchemas().filter((s) => s.kind === 'signal' && s.id >= 32 && s.id <= 39).length === 8);
});

const T = 1_700_000_000_000_000;

test('hand-made edge cases: consolidated and one-sided values, unknown venues, negative numbers', () => {
  const nbbo: NbboSignal = {
    signal: 'nbbo',
    venue: null,
    symbol: 'ÉTH-€',
    ts: T,
    emitTs: T + 5,
    valid: false,
    bidPx: 0,
    bidQty: 0,
    bidVenue: null,
    askPx: 2001.5,
    askQty: 3,
    askVenue: 'okx',
    crossed: true,
    crossBps: -12.5,
  };
  const basis: BasisSignal = {
    signal: 'basis',
    venue: null,
    symbol: 'BTC-USDT',
    ts: T,
    emitTs: T,
    valid: true,
    spotMid: 43_000,
    perpMid: 42_990.5,
    bps: -2.2093023255813953,
    perpSymbol: 'BTC-USDT-PERP',
    spotVenue: null,
    perpVenue: null,
  };
  const ema: EmaSignal = {
    signal: 'ema',
    venue: 'binance-futures',
    symbol: 'X',
    ts: 0,
    emitTs: 2 ** 53 - 1,
    valid: true,
    halfLife: 1,
    value: -1e-300,
  };
  for (const v of [nbbo, basis, ema] as SignalRecord[]) {
    const schema = schemaOf(v);
    assert.deepEqual(decodeBinary(encodeValue(schema, v, 'binary')).value, v);
    assert.deepEqual(decodeJson(schema.name, encodeValue(schema, v, 'json')).value, v);
  }
  assert.equal(schemaOf(basis).key(basis), '*:BTC-USDT');
  // A venue code this reader does not know (added later) stays visible rather than failing.
  const b = encodeValue(schemaOf(ema), ema, 'binary');
  b[2] = 200;
  assert.equal((decodeBinary(b).value as EmaSignal).venue, 'venue#200' as VenueId);
  // bbo and the other per-venue signals cannot be without a venue.
  b[2] = 0;
  assert.throws(() => decodeBinary(b), /signal\.ema: record without a venue/);
  assert.throws(() => encodeValue(schemaOf(ema), { ...ema, venue: 'nowhere' as VenueId }, 'binary'), /unknown venue/);
});

test('version rules: trailing bytes of a later minor are skipped, another major is refused', () => {
  const s = fixtureSignals().find((f) => f.signal.signal === 'bar')?.signal;
  assert.ok(s !== undefined);
  const bin = encodeValue(schemaOf(s), s, 'binary');
  const newer = Buffer.concat([bin, Buffer.from([9, 9, 9, 9])]);
  newer[1] = 0x12;
  const d = decodeBinary(newer);
  assert.deepEqual(d.value, s);
  assert.deepEqual(d.version, { major: 1, minor: 2 });
  const major2 = Buffer.from(bin);
  major2[1] = 0x20;
  assert.throws(() => decodeBinary(major2), /only understands major 1/);
  assert.throws(() => decodeBinary(bin.subarray(0, 30)), /truncated/);
  // JSON: unknown fields are kept, a missing or mistyped one is an error, another major refused.
  const json = JSON.parse(encodeValue(schemaOf(s), s, 'json').toString('utf8')) as Record<string, unknown>;
  const extra = Buffer.from(JSON.stringify({ ...json, later: 1 }));
  assert.equal((decodeJson('signal.bar', extra, '1.1').value as Record<string, unknown>)['later'], 1);
  assert.throws(() => decodeJson('signal.bar', Buffer.from(JSON.stringify({ ...json, vwap: '1' }))), /'vwap'/);
  assert.throws(() => decodeJson('signal.bar', Buffer.from(JSON.stringify({ ...json, signal: 'ema' }))), /'signal'/);
  const { symbol: _s, ...noSymbol } = json;
  assert.throws(() => decodeJson('signal.bar', Buffer.from(JSON.stringify(noSymbol))), /'symbol'/);
  assert.throws(() => decodeJson('signal.bar', Buffer.from(JSON.stringify({ ...json, venue: null }))), /'venue'/);
  assert.throws(() => decodeJson('signal.bar', Buffer.from(JSON.stringify(json)), '2.0'), /major 1/);
});

test('publishSignal: conflation keeps one latest value per key and slot; never-drop keeps all', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickwire-signal-publish-'));
  // Not started: nothing is sent, so the buffers show what the policies kept.
  const sink = new KafkaSink({ brokers: '127.0.0.1:1', journal: { dir }, logger: memoryLogger() });
  try {
    const ema = (halfLife: number, value: number, symbol = 'BTC-USDT'): EmaSignal => ({
      signal: 'ema',
      venue: 'binance',
      symbol,
      ts: T,
      emitTs: T,
      valid: true,
      halfLife,
      value,
    });
    // Two half-lives of one instrument, each updated twice, and one other instrument.
    for (const v of [ema(1e6, 1), ema(3e7, 2), ema(1e6, 3), ema(3e7, 4), ema(1e6, 5, 'ETH-USDT')]) {
      assert.equal(publishSignal(sink, v), true);
    }
    let c = sink.counters();
    assert.equal(c.conflationKeys, 3, 'one slot per half-life and instrument');
    assert.equal(c.conflated, 2);
    const trades = fixtureSignals()
      .map((f) => f.signal)
      .filter((s) => s.signal === 'trade_stats')
      .slice(0, 10);
    for (const s of trades) publishSignal(sink, s, { recvNs: 1n, emitNs: 2n });
    c = sink.counters();
    assert.equal(c.memoryRecords, 10, 'trade_stats are never dropped nor conflated');
    assert.equal(c.published, 15);
    assert.throws(
      () => publishSignal(sink, { ...trades[0], signal: 'nope' } as unknown as SignalRecord),
      /unknown signal kind 'nope'/,
    );
  } finally {
    await sink.close({ timeoutMs: 0 });
    rmSync(dir, { recursive: true, force: true });
  }
});
