// Typed access to a parsed frame, with the reject rules of docs/events.md.
//
// Structural problems (missing_field, wrong_type) throw at once. Value problems
// (bad_number, negative_value, bad_timestamp) are remembered and thrown by
// finish(), because a structural problem later in the same frame outranks them
// (reject order in src/events.ts); within a tier the first one found wins.
import type {
  CanonicalEvent,
  DerivativeEvent,
  Level,
  Market,
  RejectReason,
  Side,
  StatusKind,
  VenueId,
} from '../events';
import type { LevelText } from './book';
import type { NumberSources } from './json-source';
import { checkJsonQuantity, parseQuantity, parseSigned } from './number';
import { msToMicros, rfc3339ToMicros } from './time';
import type { SymbolMapper } from './symbols';

/**
 * docs/records.md: the native records hold at most 64 bytes (UTF-8) of
 * canonical symbol and of trade id; longer ones make the frame `wrong_type`.
 */
export const MAX_SYMBOL_BYTES = 64;
export const MAX_TRADE_ID_BYTES = 64;

const utf8 = new TextEncoder();
/** Whether `text` is longer than `max` bytes in UTF-8. */
function exceedsUtf8(text: string, max: number): boolean {
  // A UTF-16 unit is at most 3 UTF-8 bytes: short text needs no encoding.
  return text.length * 3 > max && utf8.encode(text).byteLength > max;
}

export class RejectError extends Error {
  constructor(
    readonly reason: RejectReason,
    detail?: string,
  ) {
    super(detail === undefined ? reason : `${reason}: ${detail}`);
    this.name = 'RejectError';
  }
}

export type JsonObject = { readonly [key: string]: unknown };
export type JsonArray = readonly unknown[];

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asObject(value: unknown, what: string): JsonObject {
  if (!isObject(value)) throw new RejectError('wrong_type', what);
  return value;
}

export function asArray(value: unknown, what: string): JsonArray {
  if (!Array.isArray(value)) throw new RejectError('wrong_type', what);
  return value;
}

export function required(o: JsonObject, key: string): unknown {
  const value = o[key];
  if (value === undefined) throw new RejectError('missing_field', key);
  return value;
}

export function reqString(o: JsonObject, key: string): string {
  const value = required(o, key);
  if (typeof value !== 'string') throw new RejectError('wrong_type', key);
  return value;
}

/** Absent → undefined; present but not a string (null included) → wrong_type. */
export function optString(o: JsonObject, key: string): string | undefined {
  const value = o[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new RejectError('wrong_type', key);
  return value;
}

export function reqObject(o: JsonObject, key: string): JsonObject {
  return asObject(required(o, key), key);
}

export function reqArray(o: JsonObject, key: string): JsonArray {
  return asArray(required(o, key), key);
}

export function reqBoolean(o: JsonObject, key: string): boolean {
  const value = required(o, key);
  if (typeof value !== 'boolean') throw new RejectError('wrong_type', key);
  return value;
}

/** Maps an enumerated string; a value outside the enumeration is wrong_type (docs/events.md). */
export function side(o: JsonObject, key: string, buy: string, sell: string, reverse: boolean): Side {
  const text = reqString(o, key);
  if (text === buy) return reverse ? 'sell' : 'buy';
  if (text === sell) return reverse ? 'buy' : 'sell';
  throw new RejectError('wrong_type', key);
}

/** Per-frame state: the connection's facts, the events so far and the first value error. */
export class Frame {
  venue: VenueId = 'binance';
  recvTs = 0;
  market: Market | undefined = undefined;
  out: CanonicalEvent[] = [];
  private valueError: RejectReason | undefined = undefined;
  /** The wire text of each book level of the frame, when the normalizer keeps it (option `levelText`). */
  levelTexts: Map<Level, LevelText> | undefined = undefined;
  /** Number source texts of the frame's JSON (Kraken, when level text is kept). */
  numberSources: NumberSources | undefined = undefined;

  constructor(readonly symbols: SymbolMapper) {}

  begin(
    venue: VenueId,
    recvTs: number,
    market: Market | undefined,
    keepLevelText = false,
    numberSources?: NumberSources,
  ): void {
    this.venue = venue;
    this.recvTs = recvTs;
    this.market = market;
    this.out = [];
    this.valueError = undefined;
    this.levelTexts = keepLevelText ? new Map() : undefined;
    this.numberSources = numberSources;
  }

  /** Records the text a book level was read from (a no-op unless level text is kept). */
  noteLevel(level: Level, price: unknown, size: unknown): void {
    if (this.levelTexts !== undefined && typeof price === 'string' && typeof size === 'string') {
      this.levelTexts.set(level, { price, size });
    }
  }

  /** The source text of the number `o[key]` (Kraken levels), when number sources are kept. */
  numberText(o: JsonObject, key: string): string | undefined {
    return this.numberSources?.get(o)?.get(key);
  }

  /** Events of the frame, or the deferred value error if one was seen. */
  finish(): CanonicalEvent[] {
    if (this.valueError !== undefined) throw new RejectError(this.valueError);
    return this.out;
  }

  symbol(o: JsonObject, key: string): string {
    const symbol = this.symbols.canonical(this.venue, reqString(o, key), this.market);
    if (exceedsUtf8(symbol, MAX_SYMBOL_BYTES)) {
      throw new RejectError('wrong_type', key);
    }
    return symbol;
  }

  canonical(raw: string): string {
    return this.symbols.canonical(this.venue, raw, this.market);
  }

  /** Price or size as decimal text. */
  qty(o: JsonObject, key: string): number {
    return this.value(parseQuantity(reqString(o, key)));
  }

  qtyText(text: unknown, what: string): number {
    if (typeof text !== 'string') throw new RejectError('wrong_type', what);
    return this.value(parseQuantity(text));
  }

  /** A value that may be negative (funding rate). */
  signed(o: JsonObject, key: string): number {
    return this.value(parseSigned(reqString(o, key)));
  }

  /** Optional price/size: absent or "" (venues' "no value") → undefined. */
  optQty(o: JsonObject, key: string): number | undefined {
    const text = optString(o, key);
    return text === undefined || text === '' ? undefined : this.value(parseQuantity(text));
  }

  optSigned(o: JsonObject, key: string): number | undefined {
    const text = optString(o, key);
    return text === undefined || text === '' ? undefined : this.value(parseSigned(text));
  }

  /** Kraken v2: price/size as a JSON number. */
  jsonQty(o: JsonObject, key: string): number {
    const value = required(o, key);
    if (typeof value !== 'number') throw new RejectError('wrong_type', key);
    return this.value(checkJsonQuantity(value));
  }

  /** Required millisecond time → µs. */
  ms(o: JsonObject, key: string): number {
    return this.value(msToMicros(required(o, key)));
  }

  /** Optional millisecond time; absent, "" or 0 → undefined (Binance `T:0`, Bybit `""`). */
  optMsNonZero(o: JsonObject, key: string): number | undefined {
    const value = o[key];
    if (value === undefined || value === '' || value === 0) return undefined;
    return this.value(msToMicros(value));
  }

  /** RFC 3339 time → µs; null for a valid time before the epoch. */
  rfc3339(o: JsonObject, key: string): number | null {
    const result = rfc3339ToMicros(required(o, key));
    return result === null ? null : this.value(result);
  }

  /**
   * Trade ids: strings as sent; JSON numbers as their plain digits, which
   * JSON.parse keeps exact only up to 2^53 - hence the safe-integer rule.
   */
  id(o: JsonObject, key: string): string {
    const value = required(o, key);
    if (typeof value === 'string') {
      if (exceedsUtf8(value, MAX_TRADE_ID_BYTES)) throw new RejectError('wrong_type', key);
      return value;
    }
    if (typeof value !== 'number') throw new RejectError('wrong_type', key);
    if (Number.isSafeInteger(value) && value >= 0) return String(value);
    this.value('bad_number');
    return '';
  }

  /** Sequence numbers and checksums: JSON integers (OKX prevSeqId may be -1). */
  integer(o: JsonObject, key: string): number {
    const value = required(o, key);
    if (typeof value !== 'number') throw new RejectError('wrong_type', key);
    if (!Number.isSafeInteger(value)) return this.value('bad_number');
    // JSON `-0` is an integer too; native's int64 fields have no -0, so give 0.
    return value === 0 ? 0 : value;
  }

  optInteger(o: JsonObject, key: string): number | undefined {
    return o[key] === undefined ? undefined : this.integer(o, key);
  }

  private value(result: number | RejectReason): number {
    if (typeof result === 'number') return result;
    if (result === 'wrong_type' || result === 'missing_field') throw new RejectError(result);
    this.valueError ??= result;
    return Number.NaN;
  }
}

/** `[price, size, ...]` text levels (Binance, Bybit, Coinbase, OKX); extra entries are ignored. */
export function textLevels(f: Frame, list: JsonArray, what: string): Level[] {
  const levels: Level[] = new Array<Level>(list.length);
  for (let i = 0; i < list.length; i++) {
    const entry = asArray(list[i], what);
    if (entry.length < 2) throw new RejectError('missing_field', what);
    const level: Level = [f.qtyText(entry[0], what), f.qtyText(entry[1], what)];
    f.noteLevel(level, entry[0], entry[1]);
    levels[i] = level;
  }
  return levels;
}

/** Optional members are left out, not set to undefined, so JSON forms compare equal across engines. */
export function pushDerivative(
  f: Frame,
  symbol: string,
  ts: number | null,
  markPx: number | undefined,
  indexPx: number | undefined,
  fundingRate: number | undefined,
  nextFundingTs: number | undefined,
): void {
  const e: DerivativeEvent = { type: 'derivative', venue: f.venue, symbol, ts, recvTs: f.recvTs };
  if (markPx !== undefined) e.markPx = markPx;
  if (indexPx !== undefined) e.indexPx = indexPx;
  if (fundingRate !== undefined) e.fundingRate = fundingRate;
  if (nextFundingTs !== undefined) e.nextFundingTs = nextFundingTs;
  f.out.push(e);
}

export function pushStatus(f: Frame, kind: StatusKind, detail?: string): void {
  f.out.push(
    detail === undefined ? { type: 'status', venue: f.venue, kind } : { type: 'status', venue: f.venue, kind, detail },
  );
}

/** A frame whose root is not an object cannot be any listed message. */
export function rootObject(root: unknown): JsonObject {
  if (!isObject(root)) throw new RejectError('unknown_message', 'root is not an object');
  return root;
}
