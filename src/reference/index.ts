// The TypeScript reference engine: the oracle for differential tests against
// the native engine and the baseline for benchmarks. Rules: docs/events.md.
import {
  DEFAULT_MAX_FRAME_BYTES,
  REJECT_SAMPLE_BYTES,
  type BookEvent,
  type CanonicalEvent,
  type Market,
  type RejectReason,
  type VenueId,
} from '../events';
import type { LevelText } from './book';
import { parseKeepingNumberText } from './json-source';
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
  /**
   * Attach the wire text of every book level to book events (see
   * `bookLevelText`), for order books whose checksums hash the digits as sent.
   * The events themselves (their JSON, their enumerable properties) are the
   * same with or without it.
   */
  levelText?: boolean;
}

/** A book event's levels as the venue wrote them (Kraken: the JSON number tokens). */
export interface BookLevelText {
  bids: LevelText[];
  asks: LevelText[];
}

const LEVEL_TEXT = Symbol('tickwire.levelText');

/**
 * The wire text of a book event's levels, in the order of `bids`/`asks`, or
 * undefined when the event did not come from a normalizer with `levelText`.
 */
export function bookLevelText(event: BookEvent): BookLevelText | undefined {
  return (event as BookEvent & { [LEVEL_TEXT]?: BookLevelText })[LEVEL_TEXT];
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
  private readonly levelText: boolean;
  private readonly symbols = new SymbolMapper();
  private readonly frame = new Frame(this.symbols);

  constructor(options: ReferenceNormalizerOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.levelText = options.levelText ?? false;
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
    let root = parseJson(text);
    const f = this.frame;
    if (!this.levelText) {
      f.begin(venue, recvTs, market);
      NORMALIZERS[venue](f, root);
      return f.finish();
    }
    // Kraken's levels are JSON numbers: parse again, keeping their text (the
    // same tree; JSON.parse above has already judged the frame well-formed).
    let sources;
    if (venue === 'kraken') ({ root, sources } = parseKeepingNumberText(text));
    f.begin(venue, recvTs, market, true, sources);
    NORMALIZERS[venue](f, root);
    const events = f.finish();
    const texts = f.levelTexts!;
    const textOf = (l: [number, number]): LevelText => {
      const t = texts.get(l);
      if (t === undefined) throw new Error('reference normalizer: a book level without its text');
      return t;
    };
    for (const e of events) {
      if (e.type !== 'book') continue;
      // Not enumerable: JSON.stringify, deepEqual and spreads see the canonical event only.
      Object.defineProperty(e, LEVEL_TEXT, {
        value: { bids: e.bids.map(textOf), asks: e.asks.map(textOf) } satisfies BookLevelText,
        enumerable: false,
      });
    }
    return events;
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
