import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { Engine } from '../../src/engine/engine';
import { createRingBuffer, RingReader } from '../../src/engine/ring';
import { loadAddon } from '../../src/engine/native';
import { checkPayload, fillPayload, payloadLength } from '../support/payloads';

const STRESS_RECORDS = 2_000_000;

test('TS writes, C++ reads and writes back, TS reads: every field and byte intact', () => {
  const engine = new Engine({ inputCapacity: 1 << 12, outputCapacity: 1 << 12 });
  try {
    const scratch = new Uint8Array(1024);
    let received = 0;
    for (let seq = 0; seq < 20_000; seq++) {
      const payload = fillPayload(seq, payloadLength(seq, 300), scratch);
      assert.equal(
        engine.writer.write({ type: 3, venue: 5, aux: seq, flags: 9, recvNs: BigInt(seq) * 1000n }, payload),
        true,
      );
      if (seq % 7 === 6) {
        engine.poll();
        engine.reader.drain((r) => {
          assert.equal(checkPayload(r.data, r.payloadOffset, r.length), received);
          assert.deepEqual([r.type, r.venue, r.aux, r.flags], [3, 5, received, 9]);
          assert.equal(engine.reader.recvNs(), BigInt(received) * 1000n);
          received++;
        });
      }
    }
    engine.poll();
    engine.reader.drain(() => received++);
    assert.equal(received, 20_000);
    assert.equal(engine.stats().framesIn, 20_000);
  } finally {
    engine.close();
  }
});

test('a full output ring holds frames back in the input ring instead of losing them', () => {
  const engine = new Engine({ inputCapacity: 1 << 16, outputCapacity: 1 << 10 });
  try {
    const scratch = new Uint8Array(128);
    for (let seq = 0; seq < 100; seq++) engine.writer.write({ type: 1 }, fillPayload(seq, 100, scratch));
    const firstPass = engine.poll();
    assert.ok(firstPass < 100, `output ring of 1 KiB cannot take 100 records at once (took ${firstPass})`);
    assert.ok(engine.stats().outputFull >= 1);
    let received = 0;
    while (received < 100) {
      engine.reader.drain((r) => assert.equal(checkPayload(r.data, r.payloadOffset, r.length), received++));
      engine.poll();
    }
    assert.equal(engine.stats().input.dropped, 0);
  } finally {
    engine.close();
  }
});

test('the native engine refuses buffers that are not rings, with a message that says so', () => {
  const { Engine: NativeEngine } = loadAddon();
  const ring = new Uint8Array(createRingBuffer(256));
  assert.throws(() => new NativeEngine(new Uint8Array(512), ring), /input does not hold a valid tickwire ring/);
  assert.throws(() => new NativeEngine(ring, ring), /must be different rings/);
  assert.throws(
    () => new NativeEngine(ring, new Uint8Array(createRingBuffer(256)), { pipeline: 'nope' as 'echo' }),
    /unknown pipeline 'nope'/,
  );
});

test('poll() is refused in thread mode and after close()', () => {
  const engine = new Engine({ mode: 'thread', inputCapacity: 1 << 12, outputCapacity: 1 << 12 });
  assert.throws(() => engine.poll(), /inline mode/);
  assert.equal(engine.stats().threadRunning, true);
  engine.close();
  engine.close();
  assert.equal(engine.closed, true);
  assert.throws(() => engine.stats(), /closed/);
});

function runWriterWorker(
  sab: SharedArrayBuffer,
  count: number,
  maxLength: number,
): { worker: Worker; done: Promise<number> } {
  // Node 20 cannot start a .ts worker entry under tsx, so a one-line JS entry
  // registers tsx inside the worker first.
  const entry = join(__dirname, 'stress-writer.worker.ts');
  const worker = new Worker(`require('tsx/cjs/api').register(); require(${JSON.stringify(entry)});`, {
    eval: true,
    workerData: { sab, count, maxLength },
  });
  const done = new Promise<number>((resolve, reject) => {
    worker.once('message', (m: { retries: number }) => resolve(m.retries));
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`writer worker exited with ${code}`)));
  });
  return { worker, done };
}

/** Reads `count` records on this thread, asserting order and integrity. */
async function readAll(reader: RingReader, count: number, deadlineMs: number): Promise<number> {
  let expected = 0;
  const deadline = Date.now() + deadlineMs;
  while (expected < count) {
    const n = reader.drain((r) => {
      const seq = checkPayload(r.data, r.payloadOffset, r.length);
      if (seq !== expected) throw new Error(`record ${seq} arrived where ${expected} was due`);
      if (r.venue !== (seq & 0xffff)) throw new Error(`record ${seq}: header venue ${r.venue} is not its own`);
      expected++;
    });
    if (n === 0) {
      if (reader.corrupt) throw new Error('reader found a corrupt record');
      if (Date.now() > deadline) throw new Error(`timed out after ${expected} of ${count} records`);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return expected;
}

test(
  `stress: ${STRESS_RECORDS} records from a worker thread to this thread through a TS ring, none lost, reordered or torn`,
  { timeout: 120_000 },
  async () => {
    const sab = createRingBuffer(1 << 16);
    const { worker, done } = runWriterWorker(sab, STRESS_RECORDS, 256);
    try {
      assert.equal(await readAll(new RingReader(sab), STRESS_RECORDS, 100_000), STRESS_RECORDS);
      const retries = await done;
      assert.ok(retries >= 0);
    } finally {
      await worker.terminate();
    }
  },
);

test(
  `stress: ${STRESS_RECORDS} records worker → native engine thread → this thread, none lost, reordered or torn`,
  { timeout: 120_000 },
  async () => {
    const engine = new Engine({ mode: 'thread', inputCapacity: 1 << 16, outputCapacity: 1 << 16 });
    const { worker, done } = runWriterWorker(engine.input, STRESS_RECORDS, 256);
    try {
      assert.equal(await readAll(engine.reader, STRESS_RECORDS, 100_000), STRESS_RECORDS);
      await done;
      const stats = engine.stats();
      assert.equal(stats.framesIn, STRESS_RECORDS);
      assert.equal(stats.inputCorrupt, false);
    } finally {
      engine.close();
      await worker.terminate();
    }
  },
);

test(
  `stress: ${STRESS_RECORDS} records worker → native engine in inline mode (poll on this thread)`,
  { timeout: 120_000 },
  async () => {
    const engine = new Engine({ mode: 'inline', inputCapacity: 1 << 16, outputCapacity: 1 << 16 });
    const { worker, done } = runWriterWorker(engine.input, STRESS_RECORDS, 256);
    try {
      let expected = 0;
      const deadline = Date.now() + 100_000;
      while (expected < STRESS_RECORDS) {
        engine.poll();
        const n = engine.reader.drain((r) => {
          const seq = checkPayload(r.data, r.payloadOffset, r.length);
          if (seq !== expected) throw new Error(`record ${seq} arrived where ${expected} was due`);
          expected++;
        });
        if (n === 0) {
          assert.ok(Date.now() < deadline, `timed out after ${expected} records`);
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
      await done;
      assert.equal(engine.stats().framesIn, STRESS_RECORDS);
    } finally {
      engine.close();
      await worker.terminate();
    }
  },
);
