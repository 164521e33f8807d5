// normalizeFrames: raw venue frames -> canonical events through a real inline
// native engine (pipeline 'normalize'), in input order. A convenience for
// tests, tools and the fixture harness; a live feed drives an Engine directly.
import {
  DEFAULT_MAX_FRAME_BYTES,
  marketCode,
  venueCode,
  type CanonicalEvent,
  type Market,
  type VenueId,
} from '../events';
import { Engine } from './engine';
import { FRAME_RECORD_TYPE, RecordDecoder } from './records';
import { RECORD_HEADER_BYTES } from './ring';

export interface RawFrame {
  venue: VenueId;
  /** The frame as received: bytes, or text (encoded as UTF-8). */
  raw: Uint8Array | string;
  /** Receive time, µs since the epoch. */
  recvTs: number;
  /** The connection's market; only Bybit needs it. Default spot. */
  market?: Market;
}

export interface NormalizeFramesOptions {
  /** Frames larger than this are rejected as `oversized` (default 4 MiB). */
  maxFrameBytes?: number;
  batchRecords?: number;
}

const encoder = new TextEncoder();
const MIN_INPUT_CAPACITY = 1 << 18;
const MIN_OUTPUT_CAPACITY = 1 << 22;
const MAX_CAPACITY = 1 << 30;

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export function normalizeFrames(frames: readonly RawFrame[], opts: NormalizeFramesOptions = {}): CanonicalEvent[] {
  const payloads = frames.map((f) => (typeof f.raw === 'string' ? encoder.encode(f.raw) : f.raw));
  const largest = payloads.reduce((max, p) => Math.max(max, p.byteLength), 0);
  // Any frame must fit the input ring (a record is at most half of it); the
  // output ring must hold one frame's whole output (a book is ~2x its text).
  const inputCapacity = Math.min(MAX_CAPACITY, nextPowerOfTwo(Math.max(MIN_INPUT_CAPACITY, 2 * (largest + 64))));
  const outputCapacity = Math.min(
    MAX_CAPACITY,
    nextPowerOfTwo(Math.max(MIN_OUTPUT_CAPACITY, 8 * Math.min(largest, opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES))),
  );
  const engine = new Engine({
    mode: 'inline',
    pipeline: 'normalize',
    inputCapacity,
    outputCapacity,
    maxFrameBytes: opts.maxFrameBytes,
    batchRecords: opts.batchRecords,
  });
  const decoder = new RecordDecoder();
  const events: CanonicalEvent[] = [];
  const onRecord = (record: Parameters<RecordDecoder['decode']>[0]): void => {
    const event = decoder.decode(record);
    if (event !== null) events.push(event);
  };
  // Runs the engine until the input ring is empty, draining the output as it goes.
  const pump = (): void => {
    for (;;) {
      const handled = engine.poll();
      const drained = engine.reader.drain(onRecord);
      if (engine.stats().input.usedBytes === 0) return;
      if (handled === 0 && drained === 0) throw new Error('normalize engine made no progress (input ring corrupt?)');
    }
  };
  try {
    let pending = 0; // input bytes written since the last pump
    const budget = inputCapacity / 2;
    for (let i = 0; i < frames.length; i++) {
      const frame = frames[i]!;
      const payload = payloads[i]!;
      const bytes = (RECORD_HEADER_BYTES + payload.byteLength + 7) & ~7;
      if (pending + bytes > budget) {
        pump();
        pending = 0;
      }
      const meta = {
        type: FRAME_RECORD_TYPE,
        venue: venueCode(frame.venue),
        flags: marketCode(frame.market),
        recvNs: BigInt(frame.recvTs) * 1000n,
      };
      if (!engine.writer.write(meta, payload)) {
        pump();
        pending = 0;
        if (!engine.writer.write(meta, payload)) throw new Error('input ring has no room for a frame after draining');
      }
      pending += bytes;
    }
    pump();
  } finally {
    engine.close();
  }
  return events;
}
