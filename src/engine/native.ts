// The one place that loads the compiled addon. Loud on failure: which file,
// and why, because a missing or stale .node is the commonest install problem.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { SignalConfig } from '../reference/signals/engine';

export interface NativeEngineOptions {
  pipeline?: 'echo' | 'normalize';
  batchRecords?: number;
  maxFrameBytes?: number;
  /** normalize: keep L2 books (default true). */
  books?: boolean;
  /** normalize: compute the default signals (default true). */
  signals?: boolean;
  /** Signal parameters (µs), the shape of SignalConfig in src/reference/signals. */
  signalConfig?: Partial<SignalConfig>;
  /** Emit a book_verdict record for every book update (`tickwire book`). */
  bookVerdicts?: boolean;
  /** Depth Kraken books are cut to after each update: the subscribed depth (default 10). */
  krakenDepth?: number;
  /** A VALID book with no update for this long (receive time) turns STALE; 0 = never (default). */
  staleAfterMs?: number;
}

export interface NativeEngineStats {
  framesIn: number;
  recordsOut: number;
  outputFull: number;
  batches: number;
  bookUpdates: number;
  /** Book counters: present while the engine is not running on its own thread. */
  bookGaps?: number;
  bookChecksumFailures?: number;
  bookResyncs?: number;
  bookLostRecords?: number;
  /** Signal counters: present while the engine is not running on its own thread. */
  signalRecords?: number;
  signalLostRecords?: number;
  lateTrades?: number;
  lateDropped?: number;
  inputCorrupt: boolean;
  threadRunning: boolean;
}

export interface NativeEngine {
  poll(maxRecords?: number): number;
  start(): void;
  stop(): void;
  stats(): NativeEngineStats;
  close(): void;
}

export interface NativeAddon {
  Engine: new (input: Uint8Array, output: Uint8Array, options?: NativeEngineOptions) => NativeEngine;
  /** The same bytes as `view` through a non-shared ArrayBuffer (see RingWriter's `plainAlias`). */
  plainView(view: Uint8Array): Uint8Array;
  ringHeaderBytes: number;
  recordHeaderBytes: number;
}

export class AddonLoadError extends Error {
  readonly code = 'ERR_TICKWIRE_ADDON';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AddonLoadError';
  }
}

const packageRoot = join(__dirname, '..', '..');
const addonPath = process.env.TICKWIRE_ADDON ?? join(packageRoot, 'build', 'Release', 'tickwire.node');

let cached: NativeAddon | undefined;

export function loadAddon(): NativeAddon {
  if (cached) return cached;
  if (!existsSync(addonPath)) {
    throw new AddonLoadError(
      `native addon not found at ${addonPath}: build it with \`npm run build:native\` ` +
        '(needs cmake and a C++20 compiler; `npm install` runs it)',
    );
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    cached = require(addonPath) as NativeAddon;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new AddonLoadError(`native addon at ${addonPath} failed to load: ${why}`, { cause: error });
  }
  return cached;
}
