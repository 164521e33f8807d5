// lz4 and zstd codecs for kafkajs, from npm packages that install without a
// compiler or a download: lz4js (plain JavaScript) and @bokuweb/zstd-wasm
// (the reference libzstd compiled to WebAssembly). kafkajs ships only gzip;
// a codec is registered in its global CompressionCodecs table, which serves
// producers (the sink) and consumers (the SDK) alike. docs/sink.md.
import { CompressionCodecs, CompressionTypes } from 'kafkajs';

/** The shape kafkajs expects from `CompressionCodecs[type]()`. */
export interface KafkaCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

// ------------------------------------------------------------ lz4 (frame format)

/** The parts of lz4js used here: its block coder and xxh32 (its frame layer is not used, see below). */
interface Lz4js {
  compressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, hashTable: Uint32Array): number;
  compressBound(n: number): number;
  decompressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, dIndex: number): number;
}
interface Xxh32 {
  hash(seed: number, src: Uint8Array, index: number, length: number): number;
}

let lz4Module: { lz4: Lz4js; xxh32: Xxh32 } | undefined;
function lz4js(): { lz4: Lz4js; xxh32: Xxh32 } {
  // Loaded on first use: lz4js allocates a 5 MiB scratch buffer when it is required.
  /* eslint-disable @typescript-eslint/no-require-imports */
  lz4Module ??= { lz4: require('lz4js') as Lz4js, xxh32: require('lz4js/xxh32.js') as Xxh32 };
  /* eslint-enable @typescript-eslint/no-require-imports */
  return lz4Module;
}

const LZ4_MAGIC = 0x184d2204;
const FLG_VERSION = 0x40;
const FLG_INDEPENDENT = 0x20;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_DICT_ID = 0x01;
/** FLG written: version 01, independent blocks, content size (no checksums: Kafka's batch CRC covers the data). */
const LZ4_FLG = FLG_VERSION | FLG_INDEPENDENT | FLG_CONTENT_SIZE;
/** BD: 64 KiB maximum block size, as Kafka's own Java producer writes. */
const LZ4_BD = 4 << 4;
const LZ4_BLOCK = 64 * 1024;
const LZ4_UNCOMPRESSED = 0x80000000;
const LZ4_BLOCK_SIZES: Readonly<Record<number, number>> = { 4: 1 << 16, 5: 1 << 18, 6: 1 << 20, 7: 1 << 22 };
/**
 * The block format wants the last match to start at least 12 bytes before the
 * end of a block (MFLIMIT); lz4js lets it start 10 bytes before, which liblz4
 * refuses when the block fills its output exactly. So the last bytes of each
 * block are kept out of lz4js's reach and appended to its final literal run.
 */
const LZ4_TAIL_LITERALS = 5;

function lz4Error(msg: string): Error {
  return new Error(`lz4: ${msg}`);
}

/** Offset of the last sequence (literals only) of an lz4 block, and its literal count. */
function lastSequence(b: Uint8Array, len: number): { at: number; literals: number } {
  let i = 0;
  for (;;) {
    const at = i;
    const token = b[i++] as number;
    let lit = token >> 4;
    if (lit === 15) {
      let x: number;
      do {
        x = b[i++] as number;
        lit += x;
      } while (x === 255);
    }
    i += lit;
    if (i >= len) return { at, literals: lit };
    i += 2;
    if ((token & 15) === 15) while (b[i++] === 255);
  }
}

/** Writes a literals-only sequence: token, length bytes, literals. Returns the new offset. */
function writeLiterals(out: Buffer, o: number, src: Uint8Array, from: number, n: number): number {
  if (n >= 15) {
    out[o++] = 0xf0;
    let rest = n - 15;
    for (; rest >= 255; rest -= 255) out[o++] = 255;
    out[o++] = rest;
  } else out[o++] = n << 4;
  out.set(src.subarray(from, from + n), o);
  return o + n;
}

/**
 * Compresses to one LZ4 frame (the format of Kafka's lz4 codec since message
 * format v1). lz4js's own frame writer uses 4 MiB linked blocks without a
 * content size, so every reader would allocate 4 MiB per batch; this writes
 * 64 KiB independent blocks (what Kafka's Java client writes) and the content
 * size, so readers allocate exactly.
 */
export function lz4FrameCompress(src: Uint8Array): Buffer {
  const { lz4, xxh32 } = lz4js();
  const blocks = Math.ceil(src.length / LZ4_BLOCK);
  const out = Buffer.allocUnsafe(15 + blocks * (4 + lz4.compressBound(LZ4_BLOCK) + 8) + 4);
  out.writeUInt32LE(LZ4_MAGIC, 0);
  out[4] = LZ4_FLG;
  out[5] = LZ4_BD;
  // Content size, u64 LE (a Kafka batch is far below 2^53).
  out.writeUInt32LE(src.length % 0x1_0000_0000, 6);
  out.writeUInt32LE(Math.floor(src.length / 0x1_0000_0000), 10);
  out[14] = (xxh32.hash(0, out, 4, 10) >>> 8) & 0xff;
  let o = 15;
  const table = new Uint32Array(1 << 16);
  const scratch = new Uint8Array(lz4.compressBound(LZ4_BLOCK));
  for (let start = 0; start < src.length; start += LZ4_BLOCK) {
    const n = Math.min(LZ4_BLOCK, src.length - start);
    // A fresh hash table per block: no match may reach into the previous block.
    if (start > 0) table.fill(0);
    const head = n - LZ4_TAIL_LITERALS;
    const c = head > 0 ? lz4.compressBlock(src, scratch, start, head, table) : 0;
    let size = 0;
    if (c > 0) {
      // lz4js ends every block with a literals-only sequence: re-emit it with the tail bytes added.
      const last = lastSequence(scratch, c);
      const from = start + head - last.literals;
      out.set(scratch.subarray(0, last.at), o + 4);
      size = writeLiterals(out, o + 4 + last.at, src, from, start + n - from) - (o + 4);
    }
    if (c > 0 && size < n) {
      out.writeUInt32LE(size, o);
      o += 4 + size;
    } else {
      // Incompressible (or too short to compress): stored as is.
      out.writeUInt32LE((LZ4_UNCOMPRESSED | n) >>> 0, o);
      out.set(src.subarray(start, start + n), o + 4);
      o += 4 + n;
    }
  }
  out.writeUInt32LE(0, o); // end mark
  return out.subarray(0, o + 4);
}

interface Lz4FrameHeader {
  flg: number;
  blockMax: number;
  /** -1 when the header has none. */
  contentSize: number;
  /** Offset of the first block. */
  blocks: number;
}

function lz4Header(src: Uint8Array, v: DataView, p: number): Lz4FrameHeader {
  if (p + 7 > src.length) throw lz4Error('truncated frame header');
  const flg = src[p + 4] as number;
  if ((flg & 0xc0) !== FLG_VERSION) throw lz4Error(`unsupported frame version ${flg >> 6}`);
  if (flg & FLG_DICT_ID) throw lz4Error('frames with a dictionary are not supported');
  const blockMax = LZ4_BLOCK_SIZES[((src[p + 5] as number) >> 4) & 7];
  if (blockMax === undefined) throw lz4Error('invalid block maximum size');
  let q = p + 6;
  let contentSize = -1;
  if (flg & FLG_CONTENT_SIZE) {
    if (q + 8 > src.length) throw lz4Error('truncated frame header');
    contentSize = v.getUint32(q, true) + v.getUint32(q + 4, true) * 0x1_0000_0000;
    q += 8;
  }
  const hc = (lz4js().xxh32.hash(0, src, p + 4, q - (p + 4)) >>> 8) & 0xff;
  if (src[q] !== hc) throw lz4Error('frame header checksum mismatch');
  return { flg, blockMax, contentSize, blocks: q + 1 };
}

/**
 * Decompresses LZ4 frames (any block size, linked or independent blocks,
 * optional content size and checksums; skippable frames are skipped). The
 * frame layer is done here: lz4js's skips block checksums at the wrong place
 * and over-allocates. Blocks decode into one buffer, so linked blocks find
 * their history.
 */
export function lz4FrameDecompress(src: Uint8Array): Buffer {
  const { lz4 } = lz4js();
  const v = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const parts: Buffer[] = [];
  let p = 0;
  while (p < src.length) {
    if (p + 4 > src.length) throw lz4Error('truncated frame');
    const magic = v.getUint32(p, true);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      if (p + 8 > src.length) throw lz4Error('truncated skippable frame');
      p += 8 + v.getUint32(p + 4, true);
      continue;
    }
    if (magic !== LZ4_MAGIC) throw lz4Error(`bad magic 0x${magic.toString(16)} at byte ${p}`);
    const h = lz4Header(src, v, p);
    const blockSum = (h.flg & FLG_BLOCK_CHECKSUM) !== 0 ? 4 : 0;
    // Output size: exact from the header, else bounded by walking the block headers.
    let cap = h.contentSize;
    if (cap < 0) {
      cap = 0;
      for (let q = h.blocks; ;) {
        if (q + 4 > src.length) throw lz4Error('truncated block header');
        const word = v.getUint32(q, true);
        if (word === 0) break;
        const size = word & 0x7fffffff;
        cap += word & LZ4_UNCOMPRESSED ? size : h.blockMax;
        q += 4 + size + blockSum;
      }
    }
    const dst = Buffer.alloc(cap);
    let d = 0;
    let q = h.blocks;
    for (;;) {
      if (q + 4 > src.length) throw lz4Error('truncated block header');
      const word = v.getUint32(q, true);
      q += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      if (q + size + blockSum > src.length) throw lz4Error('truncated block');
      if (word & LZ4_UNCOMPRESSED) {
        if (d + size > cap) throw lz4Error('frame content larger than declared');
        dst.set(src.subarray(q, q + size), d);
        d += size;
      } else {
        d = lz4.decompressBlock(src, dst, q, size, d);
        // lz4js does not bound its writes: a block that ran past the buffer is corrupt.
        if (d > cap) throw lz4Error('corrupt block: output overruns the frame');
      }
      q += size + blockSum;
    }
    if (h.flg & FLG_CONTENT_CHECKSUM) q += 4;
    if (q > src.length) throw lz4Error('truncated frame');
    if (h.contentSize >= 0 && d !== h.contentSize) {
      throw lz4Error(`frame declares ${h.contentSize} bytes, decoded ${d}`);
    }
    parts.push(d === cap ? dst : dst.subarray(0, d));
    p = q;
  }
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
}

export const lz4Codec: KafkaCodec = {
  compress: async (encoder) => lz4FrameCompress(encoder.buffer),
  decompress: async (buffer) => lz4FrameDecompress(buffer),
};

// ------------------------------------------------------------ zstd

interface ZstdWasm {
  init(): Promise<void>;
  compress(buf: Uint8Array, level?: number): Uint8Array;
  decompress(buf: Uint8Array, opts?: { defaultHeapSize?: number }): Uint8Array;
}

let zstdReady: Promise<ZstdWasm> | undefined;
function zstdWasm(): Promise<ZstdWasm> {
  // The WebAssembly module is compiled once, on first use, asynchronously.
  zstdReady ??= (async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const m = require('@bokuweb/zstd-wasm') as ZstdWasm;
    await m.init();
    return m;
  })();
  return zstdReady;
}

/** zstd level 3: libzstd's default, the usual speed/ratio trade-off for streaming data. */
export const ZSTD_LEVEL = 3;

const ZSTD_MAGIC = 0xfd2fb528;
const ZSTD_BLOCK_MAX = 128 * 1024;

/** One frame of a zstd stream: where it is and how large its content can be. */
export interface ZstdFrameSpan {
  start: number;
  end: number;
  /** Exact content size from the header, or an upper bound from the block headers when the header has none. */
  maxSize: number;
}

/**
 * Splits a zstd stream into its frames (RFC 8878 §3.1), skipping skippable
 * frames. libzstd's one-shot decompression needs the output size up front;
 * writers that stream (Kafka's Java client, librdkafka) leave the content
 * size out of the header, so it is bounded from the block headers instead:
 * raw and RLE blocks state their size, a compressed block regenerates at
 * most min(window, 128 KiB).
 */
export function zstdFrames(buf: Uint8Array): ZstdFrameSpan[] {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const frames: ZstdFrameSpan[] = [];
  const need = (at: number, n: number): void => {
    if (at + n > buf.length) throw new Error(`zstd: truncated frame at byte ${at}`);
  };
  let p = 0;
  while (p < buf.length) {
    need(p, 4);
    const magic = v.getUint32(p, true);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      need(p + 4, 4);
      p += 8 + v.getUint32(p + 4, true);
      continue;
    }
    if (magic !== ZSTD_MAGIC) throw new Error(`zstd: bad magic 0x${magic.toString(16)} at byte ${p}`);
    const start = p;
    need(p + 4, 1);
    const fhd = buf[p + 4] as number;
    p += 5;
    const fcsFlag = fhd >> 6;
    const singleSegment = (fhd & 0x20) !== 0;
    const checksum = (fhd & 0x04) !== 0;
    let window = ZSTD_BLOCK_MAX;
    if (!singleSegment) {
      need(p, 1);
      const wd = buf[p++] as number;
      const base = 2 ** (10 + (wd >> 3));
      window = base + (base / 8) * (wd & 7);
    }
    p += [0, 1, 2, 4][fhd & 3] as number;
    const fcsBytes = fcsFlag === 0 ? (singleSegment ? 1 : 0) : 1 << fcsFlag;
    need(p, fcsBytes);
    let contentSize = -1;
    if (fcsBytes === 1) contentSize = buf[p] as number;
    else if (fcsBytes === 2) contentSize = v.getUint16(p, true) + 256;
    else if (fcsBytes === 4) contentSize = v.getUint32(p, true);
    else if (fcsBytes === 8) contentSize = v.getUint32(p, true) + v.getUint32(p + 4, true) * 0x1_0000_0000;
    p += fcsBytes;
    let bound = 0;
    const blockMax = Math.min(window, ZSTD_BLOCK_MAX);
    for (;;) {
      need(p, 3);
      const h = (buf[p] as number) | ((buf[p + 1] as number) << 8) | ((buf[p + 2] as number) << 16);
      p += 3;
      const type = (h >> 1) & 3;
      const size = h >>> 3;
      if (type === 0) {
        bound += size;
        p += size;
      } else if (type === 1) {
        bound += size;
        p += 1;
      } else if (type === 2) {
        bound += blockMax;
        p += size;
      } else throw new Error('zstd: reserved block type');
      if (h & 1) break;
    }
    if (checksum) p += 4;
    if (p > buf.length) throw new Error('zstd: truncated frame');
    frames.push({ start, end: p, maxSize: contentSize >= 0 ? contentSize : bound });
  }
  return frames;
}

export async function zstdCompress(src: Uint8Array): Promise<Buffer> {
  const z = await zstdWasm();
  const out = z.compress(src, ZSTD_LEVEL);
  return Buffer.from(out.buffer, out.byteOffset, out.length);
}

export async function zstdDecompress(src: Uint8Array): Promise<Buffer> {
  const z = await zstdWasm();
  const parts: Uint8Array[] = [];
  for (const f of zstdFrames(src)) {
    // defaultHeapSize is used only when the header has no content size; at least 1 byte for an empty frame.
    parts.push(z.decompress(src.subarray(f.start, f.end), { defaultHeapSize: Math.max(1, f.maxSize) }));
  }
  if (parts.length === 1) {
    const one = parts[0] as Uint8Array;
    return Buffer.from(one.buffer, one.byteOffset, one.length);
  }
  return Buffer.concat(parts);
}

export const zstdCodec: KafkaCodec = {
  compress: (encoder) => zstdCompress(encoder.buffer),
  decompress: (buffer) => zstdDecompress(buffer),
};

// ------------------------------------------------------------ registration

let registered = false;

/**
 * Installs the lz4 and zstd codecs in kafkajs (idempotent). Cheap: the
 * packages themselves load on the first batch that needs them.
 */
export function registerCompressionCodecs(): void {
  if (registered) return;
  registered = true;
  const table = CompressionCodecs as Record<number, () => KafkaCodec>;
  table[CompressionTypes.LZ4] = () => lz4Codec;
  table[CompressionTypes.ZSTD] = () => zstdCodec;
}
