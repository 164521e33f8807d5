// The engine's writer copies frames into the input ring through the addon's
// plainView alias (a non-shared ArrayBuffer over the ring's memory). These
// tests hold it to the ring's contract: every byte lands where the native
// side reads it, from sources at any alignment, inline and across threads;
// a wrong alias is refused; the alias keeps the shared memory alive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Engine } from '../../src/engine/engine';
import { createRingBuffer, RingError, RingWriter } from '../../src/engine/ring';
import { loadAddon } from '../../src/engine/native';
import { checkPayload, fillPayload, payloadLength } from '../support/payloads';

const { plainView } = loadAddon();

/** Record `seq`'s payload as a slice starting `seq % 8` bytes into an aligned buffer, as a ws frame may. */
function misalignedPayload(seq: number, maxLength: number, scratch: Uint8Array): Uint8Array {
  const skew = seq % 8;
  return fillPayload(seq, payloadLength(seq, maxLength), scratch.subarray(skew));
}

async function echoThrough(engine: Engine, count: number, maxLength: number): Promise<void> {
  const scratch = new Uint8Array(maxLength + 8);
  let received = 0;
  let refused = 0;
  const take = (): void => {
    engine.reader.drain((r) => {
      assert.equal(checkPayload(r.data, r.payloadOffset, r.length), received);
      assert.equal(r.aux, received);
      received++;
    });
  };
  for (let seq = 0; seq < count; seq++) {
    const payload = misalignedPayload(seq, maxLength, scratch);
    while (!engine.writer.write({ type: 3, aux: seq }, payload)) {
      refused++;
      if (engine.mode === 'inline') engine.poll();
      else await new Promise((resolve) => setImmediate(resolve));
      take();
    }
  }
  const deadline = Date.now() + 30_000;
  while (received < count) {
    if (engine.mode === 'inline') engine.poll();
    else await new Promise((resolve) => setImmediate(resolve));
    take();
    if (Date.now() > deadline) throw new Error(`timed out after ${received} of ${count} records`);
  }
  // A full ring refuses a write and counts it; nothing else may be lost.
  assert.equal(engine.stats().input.dropped, refused);
}

test('frames at every source alignment and length reach the native engine intact (inline)', async () => {
  const engine = new Engine({ inputCapacity: 1 << 14, outputCapacity: 1 << 14 });
  try {
    await echoThrough(engine, 20_000, 3000);
  } finally {
    engine.close();
  }
});

test('frames written through the alias are seen by the native engine thread (thread mode)', async () => {
  const engine = new Engine({ mode: 'thread', inputCapacity: 1 << 14, outputCapacity: 1 << 14 });
  try {
    await echoThrough(engine, 50_000, 1500);
  } finally {
    engine.close();
  }
});

test('a writer refuses an alias that is not its own buffer, and leaves the ring as it was', () => {
  const sab = createRingBuffer(256);
  const before = Buffer.from(new Uint8Array(sab));
  const other = createRingBuffer(256);
  const wrong = [
    plainView(new Uint8Array(other)), // same size, another ring
    plainView(new Uint8Array(sab, 8)), // this ring, not from its start
    new Uint8Array(sab.byteLength), // a plain buffer of the right size
  ];
  for (const alias of wrong) {
    assert.throws(
      () => new RingWriter(sab, alias),
      (e: unknown) => e instanceof RingError && e.code === 'ERR_RING_LAYOUT' && /plain alias/.test(e.message),
    );
  }
  assert.deepEqual(Buffer.from(new Uint8Array(sab)), before);
  assert.deepEqual(Buffer.from(new Uint8Array(other)), before);
  assert.doesNotThrow(() => new RingWriter(sab, plainView(new Uint8Array(sab))));
});

test('plainView takes only a Uint8Array', () => {
  for (const bad of [undefined, 42, new Int32Array(4), new SharedArrayBuffer(8)]) {
    assert.throws(() => plainView(bad as unknown as Uint8Array), /plainView\(view\) takes a Uint8Array/);
  }
});

test('the alias keeps the shared memory alive, and lets it go once the alias is gone', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  let collected = false;
  const registry = new FinalizationRegistry(() => {
    collected = true;
  });
  let alias: Uint8Array | undefined = ((): Uint8Array => {
    const sab = createRingBuffer(1 << 16);
    registry.register(sab, 'ring');
    return plainView(new Uint8Array(sab));
  })();
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 10 && !collected; i++) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  await settle();
  assert.equal(collected, false, 'the shared buffer was collected while its alias lived');
  // The control block, written through the SharedArrayBuffer, is still there.
  assert.equal(new DataView(alias.buffer).getUint32(0, true), 0x52575754);
  alias.fill(1, 256);
  alias = undefined;
  await settle();
  assert.equal(collected, true, 'the shared buffer outlived its alias (leaked)');
});
