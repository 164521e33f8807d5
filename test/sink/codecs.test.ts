// The lz4 and zstd codecs without Kafka: round trips over awkward sizes, and
// the lz4 / zstd command-line tools (liblz4, libzstd) as independent readers
// and writers of the same formats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import {
  lz4Codec,
  lz4FrameCompress,
  lz4FrameDecompress,
  registerCompressionCodecs,
  zstdCodec,
  zstdCompress,
  zstdDecompress,
  zstdFrames,
} from '../../src/sink/codecs';
import { resolveCompression } from '../../src/sink/sink';

/** Deterministic bytes: a mix of repetitive JSON-like text (compressible) and noise (not). */
function sample(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  const text = Buffer.from('{"signal":"bbo","venue":"binance","symbol":"BTC-USDT","bidPx":43210.5},');
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    // Runs of text with random bytes sprinkled in.
    b[i] = (x & 0xff) < 24 ? x >>> 24 : (text[i % text.length] as number);
  }
  return b;
}

const SIZES = [0, 1, 12, 13, 100, 65_535, 65_536, 65_537, 200_000, 1_000_003];

async function withTmp(fn: (dir: string) => void | Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tickwire-codecs-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('lz4 frames round-trip and the lz4 tool reads them', async () => {
  await withTmp((dir) => {
    for (const n of SIZES) {
      const src = sample(n, n + 7);
      const frame = lz4FrameCompress(src);
      assert.equal(frame.readUInt32LE(0), 0x184d2204, 'magic');
      assert.equal(frame[4]! & 0x20, 0x20, 'independent blocks');
      assert.ok(lz4FrameDecompress(frame).equals(src), `round trip of ${n} bytes`);
      if (n >= 65_536) assert.ok(frame.length < src.length * 0.9, `${n} bytes compress (${frame.length})`);
      const file = join(dir, `f${n}.lz4`);
      writeFileSync(file, frame);
      const viaTool = execFileSync('lz4', ['-d', '-c', file], { maxBuffer: 64 << 20 });
      assert.ok(viaTool.equals(src), `lz4 -d of ${n} bytes`);
    }
  });
});

test('many block ends: 200 frames of assorted sizes, read back by the lz4 tool as one stream', async () => {
  // Where the last match of a block may start is the part of the block format lz4js gets wrong
  // (see LZ4_TAIL_LITERALS); varied data and lengths put matches near every block end.
  await withTmp((dir) => {
    const srcs: Buffer[] = [];
    const frames: Buffer[] = [];
    for (let i = 0; i < 200; i++) {
      const src = sample(i % 3 === 0 ? 65_536 : 1 + ((i * 7919) % 140_000), 1000 + i);
      srcs.push(src);
      frames.push(lz4FrameCompress(src));
    }
    const file = join(dir, 'all.lz4');
    writeFileSync(file, Buffer.concat(frames));
    const viaTool = execFileSync('lz4', ['-d', '-c', file], { maxBuffer: 64 << 20 });
    assert.ok(viaTool.equals(Buffer.concat(srcs)), 'lz4 -d of 200 concatenated frames');
    assert.ok(lz4FrameDecompress(Buffer.concat(frames)).equals(Buffer.concat(srcs)), 'our reader, same stream');
  });
});

test('lz4 frames written by the lz4 tool decode (linked blocks, 4 MiB blocks, content size, checksums)', async () => {
  await withTmp((dir) => {
    const src = sample(700_000, 3);
    const file = join(dir, 'in.bin');
    writeFileSync(file, src);
    for (const args of [[], ['-BD'], ['-B4', '--content-size'], ['-B7', '-BX'], ['--no-frame-crc']]) {
      const frame = execFileSync('lz4', ['-q', '-c', ...args, file], { maxBuffer: 64 << 20 });
      assert.ok(lz4FrameDecompress(frame).equals(src), `lz4 ${args.join(' ')}`);
    }
  });
});

test('zstd round-trips and the zstd tool reads what it writes', async () => {
  await withTmp(async (dir) => {
    for (const n of SIZES) {
      const src = sample(n, n + 11);
      const z = await zstdCompress(src);
      assert.ok((await zstdDecompress(z)).equals(src), `round trip of ${n} bytes`);
      const file = join(dir, `f${n}.zst`);
      writeFileSync(file, z);
      assert.ok(execFileSync('zstd', ['-q', '-d', '-c', file], { maxBuffer: 64 << 20 }).equals(src), `zstd -d ${n}`);
    }
  });
});

test('zstd frames without a content size (streamed), with checksums, and concatenated frames decode', async () => {
  await withTmp(async (dir) => {
    const a = sample(3_000_000, 5);
    const b = sample(70_000, 6);
    // Piped input: the zstd tool cannot know the size, so the header has none.
    const streamed = execFileSync('zstd', ['-q', '-c', '--no-check'], { input: a, maxBuffer: 64 << 20 });
    const [span] = zstdFrames(streamed);
    assert.ok(span !== undefined && span.maxSize >= a.length, 'bound from the block headers covers the content');
    assert.ok((await zstdDecompress(streamed)).equals(a), 'streamed frame');
    const fileB = join(dir, 'b.bin');
    writeFileSync(fileB, b);
    const checked = execFileSync('zstd', ['-q', '-c', '--check', fileB]);
    assert.equal(zstdFrames(checked)[0]?.maxSize, b.length, 'exact size from the header');
    // Two frames back to back, with a skippable frame between them.
    const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
    const joined = Buffer.concat([checked, skippable, streamed]);
    assert.equal(zstdFrames(joined).length, 2);
    assert.ok((await zstdDecompress(joined)).equals(Buffer.concat([b, a])), 'concatenated frames');
    await assert.rejects(zstdDecompress(Buffer.from([1, 2, 3, 4, 5])), /bad magic/);
    await assert.rejects(zstdDecompress(checked.subarray(0, checked.length - 10)), /truncated|Failed/);
  });
});

test('the codecs are what kafkajs gets for lz4 and zstd', async () => {
  assert.equal(resolveCompression('lz4'), CompressionTypes.LZ4);
  assert.equal(resolveCompression('zstd'), CompressionTypes.ZSTD);
  registerCompressionCodecs(); // idempotent
  const table = CompressionCodecs as Record<number, () => unknown>;
  assert.equal(table[CompressionTypes.LZ4]?.(), lz4Codec);
  assert.equal(table[CompressionTypes.ZSTD]?.(), zstdCodec);
  const src = sample(10_000, 9);
  for (const codec of [lz4Codec, zstdCodec]) {
    const packed = await codec.compress({ buffer: src });
    assert.ok(Buffer.isBuffer(packed));
    assert.ok(packed.length < src.length);
    const back = await codec.decompress(packed);
    assert.ok(Buffer.isBuffer(back) && back.equals(src));
  }
  assert.throws(() => resolveCompression('snappy' as 'lz4'), /unknown compression 'snappy'/);
});

test('the lz4 tool checks the header checksum: a corrupted one is refused', async () => {
  // The checksum byte is computed with lz4js's xxh32; liblz4 verifies it, so a good frame passing
  // above and this one failing shows the byte is really checked.
  await withTmp((dir) => {
    const frame = Buffer.from(lz4FrameCompress(sample(1000, 1)));
    frame[14] = (frame[14]! + 1) & 0xff;
    const file = join(dir, 'bad.lz4');
    writeFileSync(file, frame);
    assert.throws(() => execFileSync('lz4', ['-d', '-c', file], { stdio: 'pipe' }), /Command failed/);
  });
});
