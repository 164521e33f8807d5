// The TypeScript reference of the native engine's normalize → books → signals
// pipeline (native/engine_core.cpp, EngineCore::process): the oracle that
// `tickwire signals --engine ts` runs and the differential tests hold the
// native engine to. Per frame, in native order:
//   1. normalize the frame (ReferenceNormalizer, keeping the level text);
//   2. trades and venue bbo events → the signal engine (a bbo only where no
//      book is kept for the instrument: native feedSignals);
//   3. each book event → its (venue, symbol) ReferenceBookSync, then the
//      book's state, top and depth → the signal engine (native applyBooks /
//      bookToSignals);
//   4. books without updates for staleAfterUs become STALE (checked every
//      100 ms of receive time), and idle instruments' bars follow receive
//      time (advanceIdle, every 100 ms of it).
import type { BookEvent, Market, VenueId } from '../events';
import type { SignalRecord } from '../engine/signals';
import { ReferenceBookSync, type BookMessage, type LevelText, type SyncRule } from './book';
import { bookLevelText, ReferenceNormalizer } from './index';
import { SignalEngine, type SignalConfig } from './signals/engine';

export interface ReferencePipelineOptions {
  signalConfig?: Partial<SignalConfig>;
  /** Kraken books are cut to this depth after every update (native option krakenDepth; default 10). */
  krakenDepth?: number;
  /** A VALID book without an update for this long (receive time, µs) is STALE; 0 = never (native default). */
  staleAfterUs?: number;
  /** Frames larger than this are rejected as `oversized`. */
  maxFrameBytes?: number;
}

/** Native EngineCore checks staleness and idle instruments at most this often (receive time, µs). */
const CHECK_INTERVAL_US = 100_000;

const RULES: Record<VenueId, SyncRule> = {
  binance: 'binance',
  'binance-futures': 'binance-futures',
  coinbase: 'coinbase',
  'coinbase-advanced': 'coinbase-advanced',
  kraken: 'kraken',
  bybit: 'bybit',
  okx: 'okx',
};

interface Book {
  sync: ReferenceBookSync;
  /** Receive time of the last update (native BookManager::Entry::lastRecvUs). */
  lastRecv: number;
  /** STALE overlays VALID until the next update (native BookSync::setStale). */
  stale: boolean;
}

export class ReferencePipeline {
  readonly normalizer: ReferenceNormalizer;
  readonly signals: SignalEngine;
  private readonly books = new Map<string, Book>();
  private readonly krakenDepth: number;
  private readonly staleAfterUs: number;
  private nextIdle = 0;
  private nextStaleCheck = 0;

  constructor(options: ReferencePipelineOptions = {}) {
    this.normalizer = new ReferenceNormalizer({ maxFrameBytes: options.maxFrameBytes, levelText: true });
    this.signals = new SignalEngine(options.signalConfig);
    this.krakenDepth = options.krakenDepth ?? 10;
    this.staleAfterUs = options.staleAfterUs ?? 0;
  }

  /** One raw frame (received at recvTs µs) → the signal records the native engine emits for it, in its order. */
  push(venue: VenueId, frame: Uint8Array, recvTs: number, market?: Market): SignalRecord[] {
    const out: SignalRecord[] = [];
    const events = this.normalizer.normalize(venue, frame, recvTs, market);
    const signals = this.signals;
    signals.setNow(recvTs);
    for (const e of events) {
      if (e.type === 'trade') {
        out.push(...signals.onTrade(e.venue, e.symbol, e.ts, recvTs, e.price, e.qty, e.side));
      } else if (e.type === 'bbo') {
        // An instrument with a book takes its top from the book.
        if (this.books.has(key(e.venue, e.symbol))) continue;
        out.push(...signals.onTop(e.venue, e.symbol, e.ts, recvTs, e.bidPx, e.bidQty, e.askPx, e.askQty, true));
      }
    }
    for (const e of events) if (e.type === 'book') this.applyBook(venue, e, recvTs, out);
    if (recvTs >= this.nextStaleCheck) {
      this.checkStale(recvTs);
      this.nextStaleCheck = recvTs + CHECK_INTERVAL_US;
    }
    if (recvTs >= this.nextIdle) {
      // Idle instruments' bars close on receive time, so a replay gives the same bars.
      out.push(...signals.advanceIdle(recvTs));
      this.nextIdle = recvTs + CHECK_INTERVAL_US;
    }
    return out;
  }

  /** Shutdown: every bar complete in event time (SignalEngine.flush). */
  flush(): SignalRecord[] {
    return this.signals.flush();
  }

  /** The book state of an instrument (STALE included), or undefined when it has no book. */
  bookState(venue: VenueId, symbol: string): 'SYNCING' | 'VALID' | 'RESYNCING' | 'STALE' | undefined {
    const b = this.books.get(key(venue, symbol));
    if (b === undefined) return undefined;
    return b.stale ? 'STALE' : b.sync.currentState;
  }

  private applyBook(venue: VenueId, e: BookEvent, recvTs: number, out: SignalRecord[]): void {
    const k = key(venue, e.symbol);
    const known = this.books.get(k);
    const wasValid = known !== undefined && !known.stale && known.sync.currentState === 'VALID';
    let book = known;
    if (book === undefined) {
      const rule = RULES[venue];
      const sync = new ReferenceBookSync(rule, rule === 'kraken' ? { depth: this.krakenDepth } : {});
      book = { sync, lastRecv: recvTs, stale: false };
      this.books.set(k, book);
    }
    book.lastRecv = recvTs;
    book.stale = false; // data flows again
    const { verdict, state } = book.sync.onMessage(bookMessage(e));
    const ts = e.ts ?? recvTs;
    const valid = state === 'VALID';
    const signals = this.signals;
    if (known === undefined || valid !== wasValid) out.push(...signals.onBookState(venue, e.symbol, valid, true));
    if (verdict === 'discard' || verdict === 'buffered') return;
    const levels = book.sync.currentBook;
    const top = levels.top();
    out.push(
      ...signals.onTop(
        venue,
        e.symbol,
        ts,
        recvTs,
        top?.bidPx ?? 0,
        top?.bidQty ?? 0,
        top?.askPx ?? 0,
        top?.askQty ?? 0,
        valid,
      ),
    );
    const n = signals.config.depthLevels;
    out.push(...signals.onDepth(venue, e.symbol, ts, recvTs, levels.sizes('bids', n), levels.sizes('asks', n), valid));
  }

  private checkStale(nowUs: number): void {
    if (this.staleAfterUs <= 0) return;
    for (const b of this.books.values()) {
      if (b.stale || b.sync.currentState !== 'VALID' || nowUs - b.lastRecv < this.staleAfterUs) continue;
      b.stale = true;
    }
  }
}

const key = (venue: VenueId, symbol: string): string => `${venue} ${symbol}`;

/** A canonical book event with its wire text → the reference book's message. */
export function bookMessage(e: BookEvent): BookMessage {
  const text = bookLevelText(e);
  if (text === undefined) throw new Error('book event without level text: normalize with { levelText: true }');
  const msg: BookMessage = {
    kind: e.snapshot ? 'snapshot' : 'delta',
    bids: text.bids.map(plainLevel),
    asks: text.asks.map(plainLevel),
  };
  // The normalizer only passes safe integers, so the numbers are exact; the
  // book compares them as bigints like native does with int64.
  if (e.seq !== undefined) msg.seq = BigInt(e.seq);
  if (e.prevSeq !== undefined) msg.prevSeq = BigInt(e.prevSeq);
  if (e.checksum !== undefined) msg.checksum = e.checksum;
  return msg;
}

const PLAIN = /^[0-9]+(?:\.[0-9]+)?$/;

function plainLevel(l: LevelText): LevelText {
  return PLAIN.test(l.price) && PLAIN.test(l.size) ? l : { price: plainDecimal(l.price), size: plainDecimal(l.size) };
}

/**
 * Accepted decimal text (docs/events.md: `.5`, `1e-3`, `2.50E+2`) → the same
 * value written as digits with a point, keeping every significant digit the
 * text has (native parseFixed: one decimal of scale per fraction digit, less
 * the exponent).
 */
export function plainDecimal(text: string): string {
  const m = /^([0-9]*)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/.exec(text);
  if (m === null) throw new RangeError(`not an unsigned decimal: ${text}`);
  const int = m[1] ?? '';
  const frac = m[2] ?? '';
  const exp = m[3] === undefined ? 0 : Number(m[3]);
  let digits = int + frac;
  let scale = frac.length - exp;
  if (scale < 0) {
    digits += '0'.repeat(-scale);
    scale = 0;
  }
  digits = digits.padStart(scale + 1, '0');
  const head = digits.slice(0, digits.length - scale).replace(/^0+(?=[0-9])/, '');
  return scale === 0 ? head : `${head}.${digits.slice(digits.length - scale)}`;
}
