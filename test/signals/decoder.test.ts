// The signal record decoder against hand-encoded payloads (the layouts of
// docs/signals.md, byte offset by byte offset), through a real ring. The
// differential test checks it against the native writer too.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRingBuffer, RingReader, RingWriter } from '../../src/engine/ring';
import { RecordDecodeError } from '../../src/engine/records';
import {
  SIGNAL_PAYLOAD_BYTES,
  SIGNAL_RECORD_TYPES,
  SIGNAL_VALID,
  SignalDecoder,
  type SignalName,
} from '../../src/engine/signals';

const symbols = { symbol: (id: number): string | undefined => ['BTC-USDT', 'BTC-USDT-PERP'][id] };

function roundTrip(
  name: SignalName,
  venue: number,
  flags: number,
  fill: (v: DataView) => void,
): ReturnType<SignalDecoder['decode']> {
  const sab = createRingBuffer(4096);
  const payload = new Uint8Array(SIGNAL_PAYLOAD_BYTES[name]);
  const v = new DataView(payload.buffer);
  v.setBigInt64(0, 1_700_000_000_000_123n, true); // ts
  v.setBigInt64(8, 1_700_000_000_000_456n, true); // emitTs
  fill(v);
  assert.ok(new RingWriter(sab).write({ type: SIGNAL_RECORD_TYPES[name], venue, aux: 0, flags }, payload));
  const reader = new RingReader(sab);
  assert.ok(reader.next());
  return new SignalDecoder(symbols).decode(reader.record);
}

describe('SignalDecoder', () => {
  it('decodes bbo at its offsets', () => {
    const r = roundTrip('bbo', 1, SIGNAL_VALID, (v) =>
      [100, 2, 101, 1, 100.5, 99.5, 100.6, 0.33].forEach((x, i) => v.setFloat64(16 + 8 * i, x, true)),
    );
    assert.deepEqual(r, {
      signal: 'bbo',
      venue: 'binance',
      symbol: 'BTC-USDT',
      ts: 1_700_000_000_000_123,
      emitTs: 1_700_000_000_000_456,
      valid: true,
      bidPx: 100,
      bidQty: 2,
      askPx: 101,
      askQty: 1,
      mid: 100.5,
      spreadBps: 99.5,
      microprice: 100.6,
      imbalance: 0.33,
    });
  });
  it('decodes bar, nbbo and consolidated basis', () => {
    const bar = roundTrip('bar', 6, 0, (v) => {
      v.setBigInt64(16, 1_000_000n, true);
      v.setBigInt64(24, 5_000_000n, true);
      v.setBigInt64(32, 6_000_000n, true);
      [10, 12, 9, 11, 4, 10.5].forEach((x, i) => v.setFloat64(40 + 8 * i, x, true));
      v.setUint32(88, 7, true);
      v.setUint32(92, 2, true);
    });
    assert.deepEqual(bar, {
      signal: 'bar',
      venue: 'bybit',
      symbol: 'BTC-USDT',
      ts: 1_700_000_000_000_123,
      emitTs: 1_700_000_000_000_456,
      valid: false,
      interval: 1_000_000,
      start: 5_000_000,
      end: 6_000_000,
      open: 10,
      high: 12,
      low: 9,
      close: 11,
      volume: 4,
      vwap: 10.5,
      trades: 7,
      revision: 2,
    });
    const nbbo = roundTrip('nbbo', 0, SIGNAL_VALID, (v) => {
      [102, 1, 101, 3, 99.0099].forEach((x, i) => v.setFloat64(16 + 8 * i, x, true));
      v.setUint16(56, 5, true);
      v.setUint16(58, 0, true);
      v.setUint8(60, 1);
    });
    assert.deepEqual(nbbo, {
      signal: 'nbbo',
      venue: null,
      symbol: 'BTC-USDT',
      ts: 1_700_000_000_000_123,
      emitTs: 1_700_000_000_000_456,
      valid: true,
      bidPx: 102,
      bidQty: 1,
      bidVenue: 'kraken',
      askPx: 101,
      askQty: 3,
      askVenue: null,
      crossed: true,
      crossBps: 99.0099,
    });
    const basis = roundTrip('basis', 0, SIGNAL_VALID, (v) => {
      [101, 102, 99].forEach((x, i) => v.setFloat64(16 + 8 * i, x, true));
      v.setUint32(40, 1, true);
    });
    assert.deepEqual(basis, {
      signal: 'basis',
      venue: null,
      symbol: 'BTC-USDT',
      ts: 1_700_000_000_000_123,
      emitTs: 1_700_000_000_000_456,
      valid: true,
      spotMid: 101,
      perpMid: 102,
      bps: 99,
      perpSymbol: 'BTC-USDT-PERP',
      spotVenue: null,
      perpVenue: null,
    });
  });
  it('ignores other record types and rejects short payloads', () => {
    const sab = createRingBuffer(4096);
    const w = new RingWriter(sab);
    w.write({ type: 17 }, new Uint8Array(96));
    w.write({ type: SIGNAL_RECORD_TYPES.ema, venue: 1 }, new Uint8Array(16));
    const reader = new RingReader(sab);
    const d = new SignalDecoder(symbols);
    assert.ok(reader.next());
    assert.equal(d.decode(reader.record), null);
    assert.ok(reader.next());
    assert.throws(() => d.decode(reader.record), RecordDecodeError);
  });
});
