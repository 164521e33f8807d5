import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createRingBuffer,
  RingReader,
  RingWriter,
  RingError,
  ringStats,
  maxPayloadBytes,
  RING_HEADER_BYTES,
} from '../../src/engine/ring';
import { checkPayload, fillPayload, payloadLength } from '../support/payloads';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (reader: RingReader): string => Buffer.from(reader.payload()).toString();

test('a record round-trips with every header field', () => {
  const sab = createRingBuffer(1024);
  const writer = new RingWriter(sab);
  const reader = new RingReader(sab);
  assert.equal(
    writer.write({ type: 7, venue: 3, aux: 0xfffffffe, flags: 1, recvNs: 1_764_000_000_123_456_789n }, bytes('hi')),
    true,
  );
  assert.equal(reader.next(), true);
  const r = reader.record;
  assert.deepEqual([r.type, r.venue, r.aux, r.flags, r.length], [7, 3, 0xfffffffe, 1, 2]);
  assert.equal(reader.recvNs(), 1_764_000_000_123_456_789n);
  assert.equal(text(reader), 'hi');
  assert.equal(reader.next(), false);
});

test('writeString encodes UTF-8 in place with the exact length', () => {
  const sab = createRingBuffer(1024);
  const writer = new RingWriter(sab);
  const reader = new RingReader(sab);
  assert.equal(writer.writeString({ type: 1 }, '{"p":"€1"}'), true);
  assert.equal(reader.next(), true);
  assert.equal(reader.record.length, Buffer.byteLength('{"p":"€1"}'));
  assert.equal(text(reader), '{"p":"€1"}');
});

test('records of every length and alignment survive many wrap-arounds in order', () => {
  for (const capacity of [256, 512, 4096]) {
    const sab = createRingBuffer(capacity);
    const writer = new RingWriter(sab);
    const reader = new RingReader(sab);
    const scratch = new Uint8Array(capacity);
    const max = Math.min(maxPayloadBytes(capacity), 200);
    let sent = 0;
    let received = 0;
    for (let round = 0; round < 5000; round++) {
      // Fill until full, then read a varying amount, so the padding record
      // lands at every offset the data area has.
      while (writer.write({ type: 1 }, fillPayload(sent, payloadLength(sent, max), scratch))) sent++;
      const take = 1 + (round % 3);
      for (let i = 0; i < take && reader.next(); i++) {
        assert.equal(checkPayload(reader.record.data, reader.record.payloadOffset, reader.record.length), received);
        received++;
      }
      reader.release();
    }
    while (reader.next()) {
      assert.equal(checkPayload(reader.record.data, reader.record.payloadOffset, reader.record.length), received++);
    }
    assert.equal(received, sent);
    assert.ok(sent > 5000, `capacity ${capacity}: only ${sent} records went through`);
    assert.equal(reader.corrupt, false);
  }
});

test('positions keep working across the 2^32 wrap of the u32 counters', () => {
  const sab = createRingBuffer(256);
  const words = new Int32Array(sab);
  // Start both cursors just below 2^32, as after 4 GiB of traffic.
  words[16] = 0xffffff00 | 0;
  words[32] = 0xffffff00 | 0;
  const writer = new RingWriter(sab);
  const reader = new RingReader(sab);
  const scratch = new Uint8Array(256);
  for (let seq = 0; seq < 200; seq++) {
    assert.equal(writer.write({ type: 2 }, fillPayload(seq, payloadLength(seq, 60), scratch)), true);
    assert.equal(reader.next(), true);
    assert.equal(checkPayload(reader.record.data, reader.record.payloadOffset, reader.record.length), seq);
    reader.release();
  }
  assert.ok(Atomics.load(words, 16) >>> 0 < 0xffffff00, 'head wrapped past 2^32');
});

test('a full ring refuses the write, counts the drop, and accepts again once read', () => {
  const sab = createRingBuffer(256);
  const writer = new RingWriter(sab);
  const reader = new RingReader(sab);
  const payload = new Uint8Array(40); // 64 bytes per record → 4 fit
  let accepted = 0;
  while (writer.write({ type: 1 }, payload)) accepted++;
  assert.equal(accepted, 4);
  assert.equal(writer.write({ type: 1 }, payload), false);
  assert.equal(ringStats(sab).dropped, 2);
  assert.equal(ringStats(sab).usedBytes, 256);
  assert.equal(reader.next(), true);
  reader.release();
  assert.equal(writer.write({ type: 1 }, payload), true);
  assert.equal(ringStats(sab).dropped, 2);
});

test('a record above the ring limit is rejected with a clear error, not dropped', () => {
  const sab = createRingBuffer(1024);
  const writer = new RingWriter(sab);
  assert.equal(writer.maxPayload, 1024 / 2 - 24);
  assert.throws(
    () => writer.write({ type: 1 }, new Uint8Array(writer.maxPayload + 1)),
    (e: unknown) =>
      e instanceof RingError &&
      e.code === 'ERR_RING_RECORD_TOO_LARGE' &&
      /exceeds this ring's limit of 488/.test(e.message),
  );
  assert.equal(writer.write({ type: 1 }, new Uint8Array(writer.maxPayload)), true);
  assert.equal(ringStats(sab).dropped, 0);
  const reader = new RingReader(sab);
  assert.equal(reader.next(), true);
  reader.release();
  // Text whose worst-case UTF-8 size exceeds the limit is still accepted when its real size fits.
  assert.equal(writer.writeString({ type: 1 }, 'x'.repeat(400)), true);
  assert.equal(reader.next(), true);
  assert.equal(reader.record.length, 400);
  assert.throws(() => writer.writeString({ type: 1 }, 'x'.repeat(489)), /exceeds this ring's limit/);
});

test('capacities that are not a power of two in range are refused', () => {
  for (const bad of [0, 100, 255, 3000, 2 ** 31, 1.5]) {
    assert.throws(
      () => createRingBuffer(bad),
      (e: unknown) => e instanceof RingError && e.code === 'ERR_RING_CAPACITY',
    );
  }
  assert.throws(() => new RingReader(new SharedArrayBuffer(RING_HEADER_BYTES + 256)), /bad magic/);
});

test('record type 0 is reserved for padding', () => {
  const writer = new RingWriter(createRingBuffer(256));
  assert.throws(
    () => writer.write({ type: 0 }, new Uint8Array(1)),
    (e: unknown) => e instanceof RingError && e.code === 'ERR_RING_TYPE',
  );
});

test('a reader stops at a corrupt record instead of following it out of bounds', () => {
  const cases: Array<[string, (view: DataView) => void]> = [
    ['length larger than the ring', (v) => v.setUint32(0, 0x7fffffff, true)],
    ['length past the published head', (v) => v.setUint32(0, 100, true)],
    ['padding record whose size is wrong', (v) => v.setUint16(4, 0, true)],
  ];
  for (const [name, corrupt] of cases) {
    const sab = createRingBuffer(256);
    const writer = new RingWriter(sab);
    writer.write({ type: 1 }, new Uint8Array(8));
    corrupt(new DataView(sab, RING_HEADER_BYTES));
    const reader = new RingReader(sab);
    assert.equal(reader.next(), false, name);
    assert.equal(reader.corrupt, true, name);
    assert.equal(ringStats(sab).corrupt, true, name);
  }
  // A head that claims more bytes than the ring holds.
  const sab = createRingBuffer(256);
  new Int32Array(sab)[16] = 4096;
  const reader = new RingReader(sab);
  assert.equal(reader.next(), false);
  assert.equal(reader.corrupt, true);
});
