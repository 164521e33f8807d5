// Independent reference model of an L2 order book and its per-venue sync rules,
// written from docs/books.md (and the checksum sections of the venue notes), to
// be held against the native book stage in differential and property tests.
// Prices and sizes are exact decimals (scaled BigInts); the text a venue sent is
// kept for the checksums, which hash those strings.

export type SyncRule = 'binance' | 'binance-futures' | 'coinbase' | 'coinbase-advanced' | 'kraken' | 'bybit' | 'okx';
export type ModelVerdict =
  'discard' | 'buffered' | 'apply_first' | 'apply' | 'snapshot' | 'gap' | 'checksum_mismatch' | 'crossed' | 'bad_level';
export type ModelState = 'SYNCING' | 'VALID' | 'RESYNCING';

/** A level as the venue sent it; a zero size deletes the level in a delta. */
export interface LevelText {
  price: string;
  size: string;
}

/**
 * A book message in venue-neutral terms. `seq`/`prevSeq`: Binance spot `u`/`U − 1`,
 * Binance futures `u`/`pu`, Bybit `u`, OKX `seqId`/`prevSeqId`; the REST snapshot's
 * `lastUpdateId` is the snapshot's `seq`.
 */
export interface BookMessage {
  kind: 'snapshot' | 'delta';
  bids: readonly LevelText[];
  asks: readonly LevelText[];
  seq?: bigint;
  prevSeq?: bigint;
  checksum?: number;
}

export interface ModelTop {
  bidPx: number;
  bidQty: number;
  askPx: number;
  askQty: number;
}

export interface ModelResult {
  verdict: ModelVerdict;
  state: ModelState;
  top: ModelTop | null;
}

// ---------------------------------------------------------------- decimals

/** An exact non-negative decimal: value = units / 10^scale. */
export interface Decimal {
  units: bigint;
  scale: number;
}

const DECIMAL_TEXT = /^([0-9]+)(?:\.([0-9]+))?$/;

export function parseDecimal(text: string): Decimal {
  const m = DECIMAL_TEXT.exec(text);
  if (!m) throw new RangeError(`not a plain decimal: ${text}`);
  const frac = m[2] ?? '';
  return { units: BigInt(m[1]! + frac), scale: frac.length };
}

function rescale(d: Decimal, scale: number): bigint {
  return d.units * 10n ** BigInt(scale - d.scale);
}

export function compareDecimal(a: Decimal, b: Decimal): number {
  const scale = Math.max(a.scale, b.scale);
  const x = rescale(a, scale);
  const y = rescale(b, scale);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function isZero(text: string): boolean {
  return parseDecimal(text).units === 0n;
}

/** Canonical text of a decimal (no leading zeros, no trailing fraction zeros): the level key. */
export function canonicalDecimal(text: string): string {
  const d = parseDecimal(text);
  const digits = d.units.toString().padStart(d.scale + 1, '0');
  const int = digits.slice(0, digits.length - d.scale);
  const frac = digits.slice(digits.length - d.scale).replace(/0+$/, '');
  return frac === '' ? int : `${int}.${frac}`;
}

// ---------------------------------------------------------------- CRC32

const CRC_TABLE: readonly number[] = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32/ISO-HDLC (zlib crc32) of an ASCII string, unsigned. */
export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++) crc = CRC_TABLE[(crc ^ text.charCodeAt(i)) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------- the book

interface Level {
  price: Decimal;
  /** Number(priceText): orders levels fast; equal doubles fall back to the exact decimals. */
  value: number;
  priceText: string;
  sizeText: string;
}

/** The native book keeps prices and sizes as int64 units at a per-book scale of at most 18 decimals. */
const MAX_SCALE = 18;
const INT64_MAX = (1n << 63n) - 1n;

export class ReferenceBook {
  private readonly bids = new Map<string, Level>();
  private readonly asks = new Map<string, Level>();
  /** Best-first sides, rebuilt on demand after a change. */
  private sorted: { bids?: LevelText[]; asks?: LevelText[] } = {};
  /** The finest price / size decimals seen since the book was created (native: the book's scales). */
  private pxScale = 0;
  private qtyScale = 0;

  static from(bids: readonly LevelText[], asks: readonly LevelText[]): ReferenceBook {
    const book = new ReferenceBook();
    book.apply(bids, asks);
    return book;
  }

  clone(): ReferenceBook {
    const copy = new ReferenceBook();
    for (const [k, v] of this.bids) copy.bids.set(k, v);
    for (const [k, v] of this.asks) copy.asks.set(k, v);
    copy.pxScale = this.pxScale;
    copy.qtyScale = this.qtyScale;
    return copy;
  }

  /** Sets every level (absolute size); a zero size removes it. */
  apply(bids: readonly LevelText[], asks: readonly LevelText[]): void {
    this.applyRepresentable(bids, asks);
  }

  /**
   * As apply, but stops at the first level the native fixed-point book cannot
   * hold (more than 18 decimals, or units beyond int64 at the book's scale, for
   * the level itself or for the levels already held when the scale grows) and
   * returns false: the native `bad_level`. Levels before it stay applied.
   */
  applyRepresentable(bids: readonly LevelText[], asks: readonly LevelText[]): boolean {
    this.sorted = {};
    return this.setLevels(this.bids, bids) && this.setLevels(this.asks, asks);
  }

  /** Best first: bids high→low, asks low→high. */
  side(which: 'bids' | 'asks'): LevelText[] {
    let levels = this.sorted[which];
    if (levels === undefined) {
      const all = [...(which === 'bids' ? this.bids : this.asks).values()];
      const sign = which === 'bids' ? -1 : 1;
      all.sort((a, b) => sign * (a.value !== b.value ? a.value - b.value : compareDecimal(a.price, b.price)));
      levels = all.map((l) => ({ price: l.priceText, size: l.sizeText }));
      this.sorted[which] = levels;
    }
    return levels.slice();
  }

  /** Keeps the best `depth` levels per side. */
  truncate(depth: number): void {
    for (const which of ['bids', 'asks'] as const) {
      const map = which === 'bids' ? this.bids : this.asks;
      const cut = this.side(which).slice(depth);
      if (cut.length === 0) continue;
      for (const l of cut) map.delete(canonicalDecimal(l.price));
      this.sorted[which] = undefined;
    }
  }

  crossed(): boolean {
    const bid = this.best('bids');
    const ask = this.best('asks');
    return (
      bid !== undefined && ask !== undefined && compareDecimal(parseDecimal(bid.price), parseDecimal(ask.price)) >= 0
    );
  }

  top(): ModelTop | null {
    const bid = this.best('bids');
    const ask = this.best('asks');
    if (!bid && !ask) return null;
    return {
      bidPx: bid ? Number(bid.price) : 0,
      bidQty: bid ? Number(bid.size) : 0,
      askPx: ask ? Number(ask.price) : 0,
      askQty: ask ? Number(ask.size) : 0,
    };
  }

  /** Sizes of the best `n` levels of a side, best first. */
  sizes(which: 'bids' | 'asks', n: number): number[] {
    this.side(which);
    return this.sorted[which]!.slice(0, n).map((l) => Number(l.size));
  }

  private best(which: 'bids' | 'asks'): LevelText | undefined {
    if ((which === 'bids' ? this.bids : this.asks).size === 0) return undefined;
    this.side(which);
    return this.sorted[which]![0];
  }

  /** Kraken v2: 10 asks low→high then 10 bids high→low, digits without '.' and leading zeros. */
  krakenChecksum(): number {
    const fmt = (s: string): string => s.replace('.', '').replace(/^0+/, '');
    const part = (levels: LevelText[]): string =>
      levels
        .slice(0, 10)
        .map((l) => fmt(l.price) + fmt(l.size))
        .join('');
    return crc32(part(this.side('asks')) + part(this.side('bids')));
  }

  /** OKX legacy: first 25 bids and asks interleaved as price:size, signed int32. */
  okxChecksum(): number {
    const bids = this.side('bids').slice(0, 25);
    const asks = this.side('asks').slice(0, 25);
    const parts: string[] = [];
    for (let i = 0; i < 25; i++) {
      const b = bids[i];
      const a = asks[i];
      if (b) parts.push(`${b.price}:${b.size}`);
      if (a) parts.push(`${a.price}:${a.size}`);
    }
    return crc32(parts.join(':')) | 0;
  }

  private setLevels(map: Map<string, Level>, levels: readonly LevelText[]): boolean {
    for (const l of levels) {
      const price = parseDecimal(l.price);
      const size = parseDecimal(l.size);
      if (!this.representable(price, size)) return false;
      const key = canonicalDecimal(l.price);
      if (size.units === 0n) map.delete(key);
      else map.set(key, { price, value: Number(l.price), priceText: l.price, sizeText: l.size });
    }
    return true;
  }

  /** Grows the book's scales for this level as native does; false when native would overflow. */
  private representable(price: Decimal, size: Decimal): boolean {
    if (price.scale > MAX_SCALE || size.scale > MAX_SCALE) return false;
    const fits = (d: Decimal, scale: number): boolean => rescale(d, scale) <= INT64_MAX;
    const all = (): Level[] => [...this.bids.values(), ...this.asks.values()];
    if (price.scale > this.pxScale) {
      if (!all().every((l) => fits(l.price, price.scale))) return false;
      this.pxScale = price.scale;
    }
    if (!fits(price, this.pxScale)) return false;
    if (size.scale > this.qtyScale) {
      if (!all().every((l) => fits(parseDecimal(l.sizeText), size.scale))) return false;
      this.qtyScale = size.scale;
    }
    return fits(size, this.qtyScale);
  }
}

// ---------------------------------------------------------------- sync rules

/** Kraken's default subscribed depth: the book is cut to it after every update. */
export const KRAKEN_DEPTH = 10;

/** Binance deltas held while the REST snapshot is on its way (native: the oldest are dropped beyond these). */
export const MAX_BUFFERED_DELTAS = 4096;
export const MAX_BUFFERED_LEVELS = 1 << 18;

export interface BookSyncOptions {
  /** Levels kept per side after every update: Kraken's subscribed depth (default KRAKEN_DEPTH); 0 = all. */
  depth?: number;
}

export class ReferenceBookSync {
  private state: ModelState = 'SYNCING';
  /** The book deltas apply to; null while waiting for a (new) snapshot. */
  private book: ReferenceBook | null = null;
  /** The last book that had a top, reported while no book is live. */
  private shown: ReferenceBook = new ReferenceBook();
  private lastSeq: bigint | undefined;
  private appliedSinceSnapshot = false;
  private buffer: BookMessage[] = [];
  private bufferedLevels = 0;
  private readonly depth: number;

  constructor(
    private readonly rule: SyncRule,
    options: BookSyncOptions = {},
  ) {
    this.depth = options.depth ?? (rule === 'kraken' ? KRAKEN_DEPTH : 0);
  }

  get currentState(): ModelState {
    return this.state;
  }

  get currentBook(): ReferenceBook {
    return this.book ?? this.shown;
  }

  onMessage(msg: BookMessage): ModelResult {
    const verdict = msg.kind === 'snapshot' ? this.onSnapshot(msg) : this.onDelta(msg);
    return { verdict, state: this.state, top: this.currentBook.top() };
  }

  private onSnapshot(msg: BookMessage): ModelVerdict {
    const book = new ReferenceBook();
    this.book = book;
    this.shown = book;
    if (!book.applyRepresentable(msg.bids, msg.asks)) return this.fail('bad_level');
    if (this.depth > 0) book.truncate(this.depth);
    this.lastSeq = msg.seq;
    this.appliedSinceSnapshot = false;
    const failure = this.integrity(book, msg);
    if (failure) return this.fail(failure);
    this.state = 'VALID';
    const pending = this.buffer;
    this.buffer = [];
    this.bufferedLevels = 0;
    // As native: the replay stops at the first delta that breaks the book.
    for (const d of pending) {
      const v = this.onDelta(d);
      if (v !== 'apply' && v !== 'apply_first' && v !== 'discard') break;
    }
    return 'snapshot';
  }

  private onDelta(msg: BookMessage): ModelVerdict {
    const book = this.book;
    if (!book) {
      if (this.rule === 'binance' || this.rule === 'binance-futures') {
        const levels = msg.bids.length + msg.asks.length;
        if (this.buffer.length >= MAX_BUFFERED_DELTAS || this.bufferedLevels + levels > MAX_BUFFERED_LEVELS) {
          this.buffer = [];
          this.bufferedLevels = 0;
        }
        this.buffer.push(msg);
        this.bufferedLevels += levels;
        return 'buffered';
      }
      return 'discard';
    }
    const sequenced = this.sequence(msg);
    if (sequenced !== 'apply' && sequenced !== 'apply_first') return sequenced;
    if (!book.applyRepresentable(msg.bids, msg.asks)) return this.fail('bad_level');
    if (this.depth > 0) book.truncate(this.depth);
    if (msg.seq !== undefined) this.lastSeq = msg.seq;
    this.appliedSinceSnapshot = true;
    const failure = this.integrity(book, msg);
    if (failure) return this.fail(failure);
    this.state = 'VALID';
    return sequenced;
  }

  /** The sequence verdict of a delta against the live book. */
  private sequence(msg: BookMessage): ModelVerdict {
    const last = this.lastSeq;
    const { seq, prevSeq } = msg;
    switch (this.rule) {
      case 'binance':
        if (seq === undefined || prevSeq === undefined || last === undefined) return 'apply';
        if (seq <= last) return 'discard';
        if (prevSeq > last) return this.fail('gap');
        return this.appliedSinceSnapshot ? 'apply' : 'apply_first';
      case 'binance-futures':
        if (seq === undefined || prevSeq === undefined || last === undefined) return 'apply';
        if (!this.appliedSinceSnapshot) {
          if (seq < last) return 'discard';
          return prevSeq <= last && last <= seq ? 'apply_first' : this.fail('gap');
        }
        return prevSeq === last ? 'apply' : this.fail('gap');
      case 'bybit':
        if (seq === undefined || last === undefined) return 'apply';
        return seq === last + 1n ? 'apply' : this.fail('gap');
      case 'okx':
        if (seq === undefined || prevSeq === undefined || last === undefined) return 'apply';
        return prevSeq === last ? 'apply' : this.fail('gap');
      case 'coinbase':
      case 'coinbase-advanced':
      case 'kraken':
        return 'apply';
    }
  }

  /** After an update: the venue checksum first, then a crossed book (native order). */
  private integrity(book: ReferenceBook, msg: BookMessage): 'crossed' | 'checksum_mismatch' | null {
    if (this.rule === 'kraken' && msg.checksum !== undefined && book.krakenChecksum() !== msg.checksum >>> 0)
      return 'checksum_mismatch';
    if (
      this.rule === 'okx' &&
      msg.checksum !== undefined &&
      msg.checksum !== 0 &&
      book.okxChecksum() !== (msg.checksum | 0)
    )
      return 'checksum_mismatch';
    if (book.crossed()) return 'crossed';
    return null;
  }

  /** Enters RESYNCING: the book waits for a fresh snapshot; buffered deltas are dropped. */
  private fail(verdict: 'gap' | 'checksum_mismatch' | 'crossed' | 'bad_level'): ModelVerdict {
    this.state = 'RESYNCING';
    if (this.book) this.shown = this.book;
    this.book = null;
    this.appliedSinceSnapshot = false;
    this.buffer = [];
    this.bufferedLevels = 0;
    return verdict;
  }
}
