// Little-endian writer/reader helpers for the binary encoding (docs/schemas.md).
// Integers up to 2^53 are carried as i64 without BigInt; -1 (all ones) marks "absent".

const TWO32 = 0x1_0000_0000;

export class BinaryWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initial = 128) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16LE(v, this.pos);
    this.pos += 2;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }

  f64(v: number): this {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
    return this;
  }

  /** Signed 64-bit integer from a safe integer; `null` is written as -1. */
  i64(v: number | null): this {
    this.ensure(8);
    if (v === null) {
      this.buf.writeUInt32LE(0xffffffff, this.pos);
      this.buf.writeUInt32LE(0xffffffff, this.pos + 4);
    } else {
      if (!Number.isSafeInteger(v)) throw new RangeError(`i64 field needs a safe integer, got ${v}`);
      const neg = v < 0;
      const a = neg ? -v : v;
      let lo = a % TWO32;
      let hi = Math.floor(a / TWO32);
      if (neg) {
        // two's complement
        lo = ~lo >>> 0;
        hi = ~hi >>> 0;
        lo = lo + 1;
        if (lo === TWO32) {
          lo = 0;
          hi = (hi + 1) >>> 0;
        }
      }
      this.buf.writeUInt32LE(lo, this.pos);
      this.buf.writeUInt32LE(hi, this.pos + 4);
    }
    this.pos += 8;
    return this;
  }

  /** Unsigned 64-bit from a bigint (nanosecond timestamps). */
  u64big(v: bigint): this {
    this.ensure(8);
    this.buf.writeBigUInt64LE(BigInt.asUintN(64, v), this.pos);
    this.pos += 8;
    return this;
  }

  /** u16 byte length + UTF-8 bytes. */
  str16(s: string): this {
    const n = Buffer.byteLength(s, 'utf8');
    if (n > 0xffff) throw new RangeError(`string of ${n} bytes exceeds the u16 length of the binary layout`);
    this.ensure(2 + n);
    this.buf.writeUInt16LE(n, this.pos);
    this.buf.write(s, this.pos + 2, n, 'utf8');
    this.pos += 2 + n;
    return this;
  }

  /** u32 byte length + raw bytes. */
  bytes32(b: Uint8Array): this {
    this.ensure(4 + b.length);
    this.buf.writeUInt32LE(b.length, this.pos);
    this.buf.set(b, this.pos + 4);
    this.pos += 4 + b.length;
    return this;
  }

  done(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

export class BinaryDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BinaryDecodeError';
  }
}

export class BinaryReader {
  pos: number;
  constructor(
    private readonly buf: Buffer,
    start = 0,
  ) {
    this.pos = start;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) {
      throw new BinaryDecodeError(`truncated record: need ${n} bytes at offset ${this.pos}, have ${this.buf.length}`);
    }
  }

  /** True when at least n more bytes exist (used for fields added in later minor versions). */
  has(n: number): boolean {
    return this.pos + n <= this.buf.length;
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++] as number;
  }

  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  /** Signed 64-bit as a number; -1 → null. */
  i64(): number | null {
    this.need(8);
    const lo = this.buf.readUInt32LE(this.pos);
    const hi = this.buf.readUInt32LE(this.pos + 4);
    this.pos += 8;
    if (lo === 0xffffffff && hi === 0xffffffff) return null;
    if (hi & 0x80000000) {
      // negative: -(~v + 1)
      const nlo = (~lo >>> 0) + 1;
      const nhi = (~hi >>> 0) + (nlo === TWO32 ? 1 : 0);
      return -((nhi >>> 0) * TWO32 + (nlo % TWO32));
    }
    return hi * TWO32 + lo;
  }

  u64big(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }

  str16(): string {
    const n = this.u16();
    this.need(n);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  bytes32(): Buffer {
    const n = this.u32();
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
}
