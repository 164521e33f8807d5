// The TypeScript reference engine: the oracle for differential tests against
// the native engine and the baseline for benchmarks. Rules: docs/events.md.
import {
  DEFAULT_MAX_FRAME_BYTES,
  REJECT_SAMPLE_BYTES,
  type CanonicalEvent,
  type Market,
  type RejectReason,
  type VenueId,
} from '../events';
import { Frame, RejectError } from './reader';
import { SymbolMapper, type InstrumentInfo } from './symbols';
import { normalizeBinance } from './venues/binance';
import { normalizeBybit } from './venues/bybit';
import { normalizeCoinbase } from './venues/coinbase';
import { normalizeCoinbaseAdvanced } from './venues/coinbase-advanced';
import { normalizeKraken } from './venues/kraken';
import { normalizeOkx } from './venues/okx';

export { RejectError } from './reader';
export type { InstrumentInfo } from './symbols';

export interface ReferenceNormalizerOptions {
  /** Frames larger than this many bytes are rejected as `oversized`. */
  maxFrameBytes?: number;
}

/** Nesting deeper than this is malformed_json in both engines (bounded recursion in C++). */
export const MAX_JSON_DEPTH = 64;

type VenueNormalizer = (f: Frame, root: unknown) => void;

const NORMALIZERS: Record<VenueId, VenueNormalizer> = {
  binance: normalizeBinance,
  'binance-futures': normalizeBinance,
  coinbase: normalizeCoinbase,
  'coinbase-advanced': normalizeCoinbaseAdvanced,
  kraken: normalizeKraken,
  bybit: normalizeBybit,
  okx: normalizeOkx,
};

const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenientDecoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

export class ReferenceNormalizer {
  private readonly maxFrameBytes: number;
  private readonly symbols = new SymbolMapper();
  private readonly frame = new Frame(this.symbols);

  constructor(options: ReferenceNormalizerOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  /** Joined symbols of `venue` are split by this metadata instead of the quote-asset list. */
  setInstruments(venue: VenueId, instruments: Iterable<InstrumentInfo>): void {
    this.symbols.setInstruments(venue, instruments);
  }

  /**
   * One frame → its events, or exactly one reject (all-or-nothing per frame).
   * Never throws for bad input.
   */
  normalize(venue: VenueId, frame: Uint8Array, recvTs: number, market?: Market): CanonicalEvent[] {
    try {
      return this.run(venue, frame, recvTs, market);
    } catch (err) {
      // Anything else escaping a venue mapper is a bug in this file, not bad input.
      if (!(err instanceof RejectError)) throw err;
      return [reject(venue, err.reason, frame)];
    }
  }

  private run(venue: VenueId, bytes: Uint8Array, recvTs: number, market: Market | undefined): CanonicalEvent[] {
    if (bytes.byteLength > this.maxFrameBytes) throw new RejectError('oversized');
    let text: string;
    try {
      text = strictDecoder.decode(bytes);
    } catch {
      throw new RejectError('invalid_utf8');
    }
    // OKX keep-alive replies are the bare text `pong`, not JSON.
    if (venue === 'okx' && text === 'pong') return [{ type: 'status', venue, kind: 'pong' }];
    const root = parseJson(text);
    const f = this.frame;
    f.begin(venue, recvTs, market);
    NORMALIZERS[venue](f, root);
    return f.finish();
  }
}

function parseJson(text: string): unknown {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch {
    throw new RejectError('malformed_json');
  }
  if (typeof root === 'object' && root !== null && nestedDeeperThan(root, MAX_JSON_DEPTH)) {
    throw new RejectError('malformed_json', 'nesting');
  }
  return root;
}

/**
 * True when `container` (itself one level) holds more than `max` nested
 * levels. Walking the parsed tree visits far fewer nodes than a scan of the
 * text visits characters, and string contents never count.
 */
export function nestedDeeperThan(container: object, max: number): boolean {
  if (max === 0) return true;
  if (Array.isArray(container)) {
    for (let i = 0; i < container.length; i++) {
      const child: unknown = container[i];
      if (typeof child === 'object' && child !== null && nestedDeeperThan(child, max - 1)) return true;
    }
    return false;
  }
  const o = container as { readonly [key: string]: unknown };
  for (const key in o) {
    const child = o[key];
    if (typeof child === 'object' && child !== null && nestedDeeperThan(child, max - 1)) return true;
  }
  return false;
}

function reject(venue: VenueId, reason: RejectReason, frame: Uint8Array): CanonicalEvent {
  const head = frame.byteLength > REJECT_SAMPLE_BYTES ? frame.subarray(0, REJECT_SAMPLE_BYTES) : frame;
  return { type: 'reject', venue, reason, sample: lenientDecoder.decode(head) };
}
