// The SPSC ring over a SharedArrayBuffer, TypeScript side. The byte layout is
// specified in docs/ring.md; native/ring.h implements the same document and
// both sides may share one buffer across threads and languages.

export const RING_MAGIC = 0x52575754;
export const RING_VERSION = 1;
export const RING_HEADER_BYTES = 256;
export const RECORD_HEADER_BYTES = 24;
export const RING_MIN_CAPACITY = 256;
export const RING_MAX_CAPACITY = 1 << 30;
export const PADDING_TYPE = 0;

// Control-block word indices (Int32Array over the whole buffer: byte offset / 4).
const W_MAGIC = 0;
const W_VERSION = 1;
const W_CAPACITY = 2;
const W_MAX_RECORD = 3;
const W_HEAD = 16; // byte 64: the writer's cache line
const W_DROPPED_LO = 18; // byte 72: u64 drop counter, writer-owned
const W_DROPPED_HI = 19;
const W_TAIL = 32; // byte 128: the reader's cache line
const W_CORRUPT = 33; // byte 132
// Byte 80: in the writer's cache line and unused by the layout; a writer
// checks through it that the plain alias it was given is this buffer.
const ALIAS_PROBE_BYTE = 80;

// The typed-array views below use the host's byte order; the layout is little-endian.
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error('tickwire rings need a little-endian host');
}

export class RingError extends Error {
  constructor(
    readonly code: 'ERR_RING_CAPACITY' | 'ERR_RING_LAYOUT' | 'ERR_RING_RECORD_TOO_LARGE' | 'ERR_RING_TYPE',
    message: string,
  ) {
    super(message);
    this.name = 'RingError';
  }
}

// Hot-path notes, measured on Node 20 (V8 11.3); each is worth ns per record:
// - Positions are free-running byte counts mod 2^32 (docs/ring.md). Both ends
//   keep theirs as int32 (`| 0`), the form the Int32Array control words hold:
//   as uint32 (`>>> 0`) they leave the int32 range for half of every lap, and
//   V8 then handles them as heap-allocated doubles (~10 ns more a record on
//   each end, and garbage).
// - A payload's size is read as `.length`, which optimized code inlines;
//   `.byteLength` is a call to a getter each time (~12 ns).
// - `bytes.set(payload, at)` looks `set` up through a generic inline cache on
//   every call, even in optimized code; calling it as `copyBytes.call(bytes,
//   payload, at)` does not (~5 ns). The copy itself stays the largest cost of
//   a write (~20 ns, mostly fixed), yet a JS loop (~1 ns a byte) only beats it
//   for payloads of a few dozen bytes, smaller than venue frames.
// - Into a SharedArrayBuffer, `set` copies with relaxed atomics: word by word
//   when source and destination are equally aligned mod 8, byte by byte when
//   not, and a ws frame is a slice at any offset (1 KB: ~360 ns against ~35
//   for a memmove). A writer given a plain alias of the buffer (the addon's
//   `plainView`, see RingWriter) copies payloads through it instead.
const copyBytes = Uint8Array.prototype.set;

const alignUp = (n: number): number => (n + 7) & ~7;
const recordBytes = (payload: number): number => alignUp(RECORD_HEADER_BYTES + payload);
const isPowerOfTwo = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

/** The largest payload a ring of `capacity` data bytes accepts (see docs/ring.md). */
export function maxPayloadBytes(capacity: number): number {
  return capacity / 2 - RECORD_HEADER_BYTES;
}

/**
 * Allocates and initializes a ring with `capacityBytes` of record space
 * (a power of two, 256 B … 1 GiB). The returned buffer is what both ends —
 * TS or native, any thread — attach to.
 */
export function createRingBuffer(capacityBytes: number): SharedArrayBuffer {
  if (!Number.isInteger(capacityBytes) || !isPowerOfTwo(capacityBytes)) {
    throw new RingError('ERR_RING_CAPACITY', `ring capacity must be a power of two, got ${capacityBytes}`);
  }
  if (capacityBytes < RING_MIN_CAPACITY || capacityBytes > RING_MAX_CAPACITY) {
    throw new RingError(
      'ERR_RING_CAPACITY',
      `ring capacity must be between ${RING_MIN_CAPACITY} and ${RING_MAX_CAPACITY} bytes, got ${capacityBytes}`,
    );
  }
  const sab = new SharedArrayBuffer(RING_HEADER_BYTES + capacityBytes);
  const words = new Int32Array(sab, 0, RING_HEADER_BYTES / 4);
  words[W_MAGIC] = RING_MAGIC | 0;
  words[W_VERSION] = RING_VERSION;
  words[W_CAPACITY] = capacityBytes | 0;
  words[W_MAX_RECORD] = maxPayloadBytes(capacityBytes);
  return sab;
}

function attach(sab: SharedArrayBuffer): { words: Int32Array; capacity: number } {
  if (!(sab instanceof SharedArrayBuffer)) {
    throw new RingError('ERR_RING_LAYOUT', 'a ring lives in a SharedArrayBuffer');
  }
  if (sab.byteLength < RING_HEADER_BYTES + RING_MIN_CAPACITY) {
    throw new RingError('ERR_RING_LAYOUT', `buffer of ${sab.byteLength} bytes is too small to be a ring`);
  }
  const words = new Int32Array(sab, 0, RING_HEADER_BYTES / 4);
  const capacity = words[W_CAPACITY]! >>> 0;
  if (words[W_MAGIC]! >>> 0 !== RING_MAGIC || words[W_VERSION] !== RING_VERSION) {
    throw new RingError('ERR_RING_LAYOUT', 'buffer does not hold a tickwire ring (bad magic or version)');
  }
  if (!isPowerOfTwo(capacity) || capacity + RING_HEADER_BYTES !== sab.byteLength) {
    throw new RingError(
      'ERR_RING_LAYOUT',
      `ring header capacity ${capacity} does not match buffer size ${sab.byteLength}`,
    );
  }
  return { words, capacity };
}

/** `alias` must span `sab` itself: a write through it is seen through `sab`. */
function checkedAlias(sab: SharedArrayBuffer, alias: Uint8Array): Uint8Array {
  const shared = new Uint8Array(sab);
  const before = shared[ALIAS_PROBE_BYTE]!;
  let same = alias.length === sab.byteLength && alias.byteOffset === 0;
  if (same) {
    alias[ALIAS_PROBE_BYTE] = before ^ 0xff;
    same = shared[ALIAS_PROBE_BYTE] === (before ^ 0xff);
    alias[ALIAS_PROBE_BYTE] = before;
  }
  if (!same) throw new RingError('ERR_RING_LAYOUT', "the writer's plain alias is not a view of this ring's buffer");
  return alias;
}

/** Counters visible from either end, sampled without synchronisation (for metrics). */
export function ringStats(sab: SharedArrayBuffer): {
  capacity: number;
  usedBytes: number;
  dropped: number;
  corrupt: boolean;
} {
  const { words, capacity } = attach(sab);
  const head = Atomics.load(words, W_HEAD) >>> 0;
  const tail = Atomics.load(words, W_TAIL) >>> 0;
  return {
    capacity,
    usedBytes: (head - tail) >>> 0,
    dropped: (words[W_DROPPED_HI]! >>> 0) * 2 ** 32 + (words[W_DROPPED_LO]! >>> 0),
    corrupt: words[W_CORRUPT] !== 0,
  };
}

export interface RecordMeta {
  /** Record type tag, 1 … 65535 (0 is reserved for padding). */
  type: number;
  venue?: number;
  aux?: number;
  flags?: number;
  /** Receive time, nanoseconds since the Unix epoch. */
  recvNs?: bigint;
}

/**
 * The single producer. `write` never blocks: when the ring lacks room it
 * returns false and counts a drop in the shared header.
 *
 * Records are written through typed-array views of the data area (every
 * record starts 8-byte aligned, so its header words are aligned too) in the
 * host's byte order, which must be little-endian (checked at load). A record
 * is published with one `Atomics.store` of head; `write(meta, payload, false)`
 * stages it instead, and `flush()` (or the engine's `poll()`) publishes every
 * staged record with a single store, as docs/ring.md allows.
 *
 * `plainAlias`, a Uint8Array over the same memory through a non-shared
 * ArrayBuffer (the addon's `plainView(new Uint8Array(sab))`), makes payload
 * copies plain memmoves (see the hot-path notes). Only the thread that owns
 * the alias may write through it; the release store of head still publishes.
 */
export class RingWriter {
  readonly capacity: number;
  readonly maxPayload: number;
  private readonly words: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly u32: Uint32Array;
  private readonly u16: Uint16Array;
  private readonly u64: BigUint64Array;
  private readonly mask: number;
  // Positions as int32: see the hot-path notes at the top.
  private head: number;
  private published: number;
  private cachedTail: number;

  constructor(sab: SharedArrayBuffer, plainAlias?: Uint8Array) {
    const { words, capacity } = attach(sab);
    this.words = words;
    this.capacity = capacity;
    this.maxPayload = maxPayloadBytes(capacity);
    this.mask = capacity - 1;
    this.bytes =
      plainAlias === undefined
        ? new Uint8Array(sab, RING_HEADER_BYTES, capacity)
        : checkedAlias(sab, plainAlias).subarray(RING_HEADER_BYTES);
    this.u32 = new Uint32Array(sab, RING_HEADER_BYTES, capacity >>> 2);
    this.u16 = new Uint16Array(sab, RING_HEADER_BYTES, capacity >>> 1);
    this.u64 = new BigUint64Array(sab, RING_HEADER_BYTES, capacity >>> 3);
    this.head = Atomics.load(words, W_HEAD);
    this.published = this.head;
    this.cachedTail = Atomics.load(words, W_TAIL);
  }

  /**
   * Copies `payload` into the ring as one record and publishes it (with
   * `publish` false: stages it until `flush()`). False when the ring is full.
   */
  write(meta: RecordMeta, payload: Uint8Array, publish = true): boolean {
    const length = payload.length;
    const offset = this.reserve(length, meta.type, meta.venue ?? 0, meta.aux ?? 0, meta.flags ?? 0);
    if (offset < 0) return false;
    // Aligned 8-byte slot: one BigUint64Array store, no BigInt arithmetic.
    this.u64[(offset + 16) >>> 3] = meta.recvNs ?? 0n;
    copyBytes.call(this.bytes, payload, offset + RECORD_HEADER_BYTES);
    this.head = (this.head + recordBytes(length)) | 0;
    if (publish) this.flush();
    return true;
  }

  /**
   * `write` without a bigint or a meta object: the receive time as its two
   * u32 halves (`recvNs = recvNsHi * 2^32 + recvNsLo`, see `splitNs`).
   */
  writeFrame(
    payload: Uint8Array,
    type: number,
    venue: number,
    flags: number,
    recvNsHi: number,
    recvNsLo: number,
    aux = 0,
    publish = true,
  ): boolean {
    const length = payload.length;
    const offset = this.reserve(length, type, venue, aux, flags);
    if (offset < 0) return false;
    const w = (offset + 16) >>> 2;
    this.u32[w] = recvNsLo;
    this.u32[w + 1] = recvNsHi;
    copyBytes.call(this.bytes, payload, offset + RECORD_HEADER_BYTES);
    this.head = (this.head + recordBytes(length)) | 0;
    if (publish) this.flush();
    return true;
  }

  /**
   * Encodes `text` as UTF-8 straight into the ring (no intermediate buffer).
   * Room is reserved for the worst case of 3 bytes per UTF-16 unit.
   */
  writeString(meta: RecordMeta, text: string, publish = true): boolean {
    const worst = text.length * 3;
    // A long text may fit although its worst case does not: encode it first.
    if (worst > this.maxPayload) return this.write(meta, encoder.encode(text), publish);
    const offset = this.reserve(worst, meta.type, meta.venue ?? 0, meta.aux ?? 0, meta.flags ?? 0);
    if (offset < 0) return false;
    this.u64[(offset + 16) >>> 3] = meta.recvNs ?? 0n;
    const start = offset + RECORD_HEADER_BYTES;
    const { written } = encoder.encodeInto(text, this.bytes.subarray(start, start + worst));
    this.u32[offset >>> 2] = written;
    this.head = (this.head + recordBytes(written)) | 0;
    if (publish) this.flush();
    return true;
  }

  /** Publishes every staged record (one release store of head); cheap when nothing is staged. */
  flush(): void {
    if (this.published === this.head) return;
    this.published = this.head;
    // Release: Atomics.store is sequentially consistent, so the record bytes
    // written before it are visible to a reader that loads this head.
    Atomics.store(this.words, W_HEAD, this.head);
  }

  /** Records refused because the ring was full, since it was created (both writers of its life). */
  get dropped(): number {
    return ringStats(this.words.buffer as SharedArrayBuffer).dropped;
  }

  /**
   * Writes the record header (all but recvNs) at the next record slot, after a
   * padding record when needed, and returns its data-area offset; -1 when the
   * ring is full (drop counted). `head` is advanced past any padding only.
   */
  private reserve(payload: number, type: number, venue: number, aux: number, flags: number): number {
    if (payload > this.maxPayload) {
      throw new RingError(
        'ERR_RING_RECORD_TOO_LARGE',
        `record of ${payload} bytes exceeds this ring's limit of ${this.maxPayload} bytes (capacity ${this.capacity})`,
      );
    }
    // Refuses all but the integers 1..65535 (NaN, fractions and strings too)
    // without the float round trip Math.floor would take.
    if (type === PADDING_TYPE || (type & 0xffff) !== type) {
      throw new RingError('ERR_RING_TYPE', `record type must be an integer in 1..65535, got ${type}`);
    }
    const need = recordBytes(payload);
    let offset = this.head & this.mask;
    const toEnd = this.capacity - offset;
    const padding = toEnd < need ? toEnd : 0;
    if (this.capacity - ((this.head - this.cachedTail) | 0) < padding + need) {
      // Acquire (Atomics are sequentially consistent): the reader is done with
      // every byte before the tail it published.
      this.cachedTail = Atomics.load(this.words, W_TAIL);
      if (this.capacity - ((this.head - this.cachedTail) | 0) < padding + need) {
        this.countDrop();
        return -1;
      }
    }
    const u32 = this.u32;
    if (padding !== 0) {
      u32[offset >>> 2] = padding;
      this.u16[(offset + 4) >>> 1] = PADDING_TYPE;
      this.head = (this.head + padding) | 0;
      offset = 0;
    }
    const w = offset >>> 2;
    u32[w] = payload;
    // type and venue share the second word: type in the low half (little-endian).
    u32[w + 1] = (type & 0xffff) | ((venue & 0xffff) << 16);
    u32[w + 2] = aux;
    u32[w + 3] = flags;
    return offset;
  }

  private countDrop(): void {
    // Only the writer updates the counter; a plain two-word update is enough
    // for a metric that readers sample.
    const lo = (this.words[W_DROPPED_LO]! >>> 0) + 1;
    if (lo > 0xffffffff) {
      this.words[W_DROPPED_LO] = 0;
      this.words[W_DROPPED_HI] = (this.words[W_DROPPED_HI]! + 1) | 0;
    } else {
      this.words[W_DROPPED_LO] = lo | 0;
    }
  }
}

/** A receive time in ns as the two u32 halves `writeFrame` takes (allocates: call once per time, not per record). */
export function splitNs(ns: bigint): { hi: number; lo: number } {
  return { hi: Number(BigInt.asUintN(32, ns >> 32n)), lo: Number(BigInt.asUintN(32, ns)) };
}

const encoder = new TextEncoder();

/**
 * A view of the current record, reused for every record (no allocation per
 * record). The payload is `data.subarray(payloadOffset, payloadOffset + length)`;
 * it stays valid until the reader's `release()`.
 */
export interface RecordView {
  type: number;
  venue: number;
  aux: number;
  flags: number;
  /** Receive time in ns since the epoch, split so that reading it allocates nothing. */
  recvNsHi: number;
  recvNsLo: number;
  payloadOffset: number;
  length: number;
  /** The ring's whole data area. */
  data: Uint8Array;
}

/**
 * The single consumer. Every length it reads is checked before it is
 * followed: a corrupt ring sets `corrupt` and stops the reader.
 */
export class RingReader {
  readonly capacity: number;
  readonly record: RecordView;
  private readonly words: Int32Array;
  private readonly u32: Uint32Array;
  private readonly mask: number;
  private readonly maxPayload: number;
  // Positions as int32: see the hot-path notes at the top.
  private tail: number;
  private cachedHead: number;
  private broken = false;

  constructor(sab: SharedArrayBuffer) {
    const { words, capacity } = attach(sab);
    this.words = words;
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.maxPayload = maxPayloadBytes(capacity);
    this.u32 = new Uint32Array(sab, RING_HEADER_BYTES, capacity >>> 2);
    this.tail = Atomics.load(words, W_TAIL);
    this.cachedHead = this.tail;
    this.record = {
      type: 0,
      venue: 0,
      aux: 0,
      flags: 0,
      recvNsHi: 0,
      recvNsLo: 0,
      payloadOffset: 0,
      length: 0,
      data: new Uint8Array(sab, RING_HEADER_BYTES, capacity),
    };
  }

  get corrupt(): boolean {
    return this.broken;
  }

  /** Advances to the next record (filling `this.record`); false when none is available. */
  next(): boolean {
    if (this.broken) return false;
    for (;;) {
      if (this.cachedHead === this.tail) {
        // Acquire: pairs with the writer's store of head.
        this.cachedHead = Atomics.load(this.words, W_HEAD);
        if (this.cachedHead === this.tail) return false;
      }
      // A negative difference (head more than 2^31 ahead) is corrupt too: caught as < 8.
      const available = (this.cachedHead - this.tail) | 0;
      const offset = this.tail & this.mask;
      const toEnd = this.capacity - offset;
      if (available > this.capacity || available < 8 || (offset & 7) !== 0) return this.fail();
      // Records are 8-byte aligned: the header is read as aligned u32 words.
      const u32 = this.u32;
      const w = offset >>> 2;
      const typeVenue = u32[w + 1]!;
      const type = typeVenue & 0xffff;
      if (type === PADDING_TYPE) {
        if (toEnd > available || u32[w] !== toEnd) return this.fail();
        this.tail = (this.tail + toEnd) | 0;
        continue;
      }
      if (toEnd < RECORD_HEADER_BYTES) return this.fail();
      const length = u32[w]!;
      if (length > this.maxPayload) return this.fail();
      const size = recordBytes(length);
      if (size > toEnd || size > available) return this.fail();
      const rec = this.record;
      rec.type = type;
      rec.venue = typeVenue >>> 16;
      rec.aux = u32[w + 2]!;
      rec.flags = u32[w + 3]!;
      rec.recvNsLo = u32[w + 4]!;
      rec.recvNsHi = u32[w + 5]!;
      rec.payloadOffset = offset + RECORD_HEADER_BYTES;
      rec.length = length;
      this.tail = (this.tail + size) | 0;
      return true;
    }
  }

  /** The current record's payload as a view into the ring (valid until release()). */
  payload(): Uint8Array {
    const rec = this.record;
    return rec.data.subarray(rec.payloadOffset, rec.payloadOffset + rec.length);
  }

  /** The current record's receive time in ns. Allocates a bigint: not for the hot path. */
  recvNs(): bigint {
    return (BigInt(this.record.recvNsHi) << 32n) | BigInt(this.record.recvNsLo);
  }

  /** Hands every record read so far back to the writer. */
  release(): void {
    // Release: our reads of those bytes happen before the writer reuses them.
    Atomics.store(this.words, W_TAIL, this.tail);
  }

  /** Reads every available record, calling `fn` for each, then releases them. Returns the count. */
  drain(fn: (record: RecordView) => void, max = Infinity): number {
    let n = 0;
    while (n < max && this.next()) {
      fn(this.record);
      n++;
    }
    if (n > 0) this.release();
    return n;
  }

  private fail(): false {
    this.broken = true;
    Atomics.store(this.words, W_CORRUPT, 1);
    return false;
  }
}
