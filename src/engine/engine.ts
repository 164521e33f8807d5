// The JS face of the native engine: owns the two rings and the native object,
// checks arguments, and guarantees close() joins the native thread.
import type { SignalConfig } from '../reference/signals/engine';
import { loadAddon, type NativeEngine, type NativeEngineStats } from './native';
import { createRingBuffer, RING_HEADER_BYTES, RingReader, RingWriter, ringStats } from './ring';

export type EngineMode = 'inline' | 'thread';

export interface EngineOptions {
  /** inline: the caller drives it with poll(); thread: a native thread drains the input. */
  mode?: EngineMode;
  pipeline?: 'echo' | 'normalize';
  inputCapacity?: number;
  outputCapacity?: number;
  batchRecords?: number;
  /** normalize: frames larger than this are rejected as `oversized` (default 4 MiB). */
  maxFrameBytes?: number;
  /** normalize: book stage options (docs/books.md). */
  books?: boolean;
  signals?: boolean;
  signalConfig?: Partial<SignalConfig>;
  bookVerdicts?: boolean;
  krakenDepth?: number;
  staleAfterMs?: number;
  /**
   * Touch every page of both rings now, as the pipeline does: otherwise the
   * first lap through a ring takes a page fault every few records, on the hot
   * path (and RSS creeps up for minutes). Off by default: tests create many
   * short-lived engines.
   */
  prefault?: boolean;
}

export const DEFAULT_INPUT_CAPACITY = 1 << 26; // 64 MiB: seconds of a busy feed
export const DEFAULT_OUTPUT_CAPACITY = 1 << 26;

export class Engine {
  readonly mode: EngineMode;
  readonly input: SharedArrayBuffer;
  readonly output: SharedArrayBuffer;
  /** Producer end of the input ring (one writer at a time). */
  readonly writer: RingWriter;
  /** Consumer end of the output ring (one reader at a time). */
  readonly reader: RingReader;
  private native: NativeEngine | undefined;

  constructor(options: EngineOptions = {}) {
    this.mode = options.mode ?? 'inline';
    if (this.mode !== 'inline' && this.mode !== 'thread') {
      throw new TypeError(`engine mode must be 'inline' or 'thread', got '${String(this.mode)}'`);
    }
    this.input = createRingBuffer(options.inputCapacity ?? DEFAULT_INPUT_CAPACITY);
    this.output = createRingBuffer(options.outputCapacity ?? DEFAULT_OUTPUT_CAPACITY);
    if (options.prefault === true) {
      for (const sab of [this.input, this.output]) new Uint8Array(sab, RING_HEADER_BYTES).fill(0);
    }
    const { Engine: NativeEngineClass, plainView } = loadAddon();
    // Frames are copied in through a plain alias: into shared memory V8 copies
    // a misaligned source byte by byte (see the notes in ring.ts).
    this.writer = new RingWriter(this.input, plainView(new Uint8Array(this.input)));
    this.reader = new RingReader(this.output);
    this.native = new NativeEngineClass(new Uint8Array(this.input), new Uint8Array(this.output), {
      pipeline: options.pipeline ?? 'echo',
      batchRecords: options.batchRecords ?? 256,
      maxFrameBytes: options.maxFrameBytes,
      books: options.books,
      signals: options.signals,
      signalConfig: options.signalConfig,
      bookVerdicts: options.bookVerdicts,
      krakenDepth: options.krakenDepth,
      staleAfterMs: options.staleAfterMs,
    });
    if (this.mode === 'thread') this.native.start();
  }

  /** Inline mode: handles every input record available now (or `max`), in one native call. */
  poll(max?: number): number {
    if (this.mode !== 'inline') throw new Error('poll() is for inline mode; thread mode drains by itself');
    const native = this.live();
    // Records staged with write(…, false) become visible to the engine here.
    this.writer.flush();
    return native.poll(max);
  }

  stats(): NativeEngineStats & { input: ReturnType<typeof ringStats>; output: ReturnType<typeof ringStats> } {
    return { ...this.live().stats(), input: ringStats(this.input), output: ringStats(this.output) };
  }

  get closed(): boolean {
    return this.native === undefined;
  }

  /** Stops and joins the native thread (thread mode) and frees the native side. Idempotent. */
  close(): void {
    if (!this.native) return;
    this.native.close();
    this.native = undefined;
  }

  private live(): NativeEngine {
    if (!this.native) throw new Error('engine is closed');
    return this.native;
  }
}
