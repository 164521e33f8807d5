// The schema registry: every kind of record the sink publishes and the SDK
// decodes. A schema names its topic kind, its key, its delivery policy and its
// two encodings (JSON and the fixed little-endian binary layout). Signal
// schemas are added later by adding entries (registerSchema). docs/schemas.md.
import {
  MARKETS,
  REJECT_REASONS,
  STATUS_KINDS,
  venueCode,
  venueFromCode,
  type BboEvent,
  type BookEvent,
  type DerivativeEvent,
  type Level,
  type Market,
  type Micros,
  type RejectEvent,
  type StatusEvent,
  type TradeEvent,
  type VenueId,
} from '../events';
import { BOOK_REASONS, BOOK_STATES, type BookStatusEvent } from '../engine/book-records';
import { FEED_STATES, type FeedStatusEvent } from '../venues/types';
import { BinaryDecodeError, BinaryReader, BinaryWriter } from './binary';
import type { SignalSchemaTypes } from './signal-schemas';

export type Encoding = 'json' | 'binary';
export const ENCODINGS: readonly Encoding[] = ['json', 'binary'];

/** Which topic family a schema is published to. */
export type TopicKind = 'ticks' | 'status' | 'metrics' | 'raw' | 'signal';

/**
 * What the sink may do with a record under pressure:
 * - `never-drop`: memory buffer, then the disk journal; replayed in order.
 * - `conflate`: latest value per topic+key wins while waiting to be sent.
 * - `drop`: dropped (and counted) when the memory buffer is full.
 */
export type DeliveryPolicy = 'never-drop' | 'conflate' | 'drop';

export interface SchemaVersion {
  /** 1..15. A change readers cannot skip over (removed, reordered, retyped field). */
  major: number;
  /** 0..15. Additive change: fields appended at the end of the layout. */
  minor: number;
}

export interface Schema<T> {
  /** Header `schema`, e.g. `tick.trade`. */
  name: string;
  /** Leading byte of the binary encoding, 1..255, unique. */
  id: number;
  version: SchemaVersion;
  kind: TopicKind;
  /** For kind `signal`: the `<signal>` in `md.signals.<signal>`. */
  signal?: string;
  /** Default delivery policy (the sink can override per schema). */
  policy: DeliveryPolicy;
  /**
   * For `conflate`: tells apart values of one key that do not replace each
   * other (e.g. an EMA per half-life), so each keeps its own latest value.
   * Without it the latest value per topic + key wins.
   */
  conflationSlot?(value: T): number;
  /** Full topic name for a value under a topic prefix (default `md.`). */
  topic(prefix: string, value: T): string;
  /** Kafka message key: `<venue>:<symbol>` (or `*:<symbol>` for consolidated signals). */
  key(value: T): string;
  /** Receive time of the underlying data in ns since the epoch, when the value carries one. */
  recvNs(value: T): bigint | undefined;
  toJson(value: T): string;
  fromJson(text: string): T;
  /** Writes the body (after the 2-byte id/version header). */
  writeBinary(w: BinaryWriter, value: T): void;
  /** Reads the body written by a writer of minor version `minor` (same major). */
  readBinary(r: BinaryReader, minor: number): T;
}

// ------------------------------------------------------------ value types

/** A raw venue frame as received (capture mode), on `md.raw.<venue>`. */
export interface RawFrame {
  venue: VenueId;
  market?: Market;
  /** Connection / stream label; part of the key so per-connection order holds. */
  conn?: string;
  /** Receive time, ns since the Unix epoch. */
  recvNs: bigint;
  frame: Buffer;
}

/** A metrics snapshot on `md.metrics`. */
export interface MetricsSnapshot {
  /** µs since the epoch. */
  ts: Micros;
  /** Who reports (e.g. `sink`, `engine`); the message key. */
  source: string;
  values: Record<string, number>;
}

/**
 * `status` carries the venues' control events and rejects (src/events.ts), the
 * connectors' connection states (`feed_status`) and the books' state changes
 * (`book_status`).
 */
export type StatusRecord = StatusEvent | RejectEvent | FeedStatusEvent | BookStatusEvent;

/**
 * Value type per built-in schema name. The signal schemas have theirs in
 * SignalSchemaTypes (src/sink/signal-schemas.ts); other names decode to `unknown`.
 */
export interface SchemaTypes {
  'tick.trade': TradeEvent;
  'tick.bbo': BboEvent;
  'tick.book': BookEvent;
  'tick.derivative': DerivativeEvent;
  status: StatusRecord;
  metrics: MetricsSnapshot;
  raw: RawFrame;
}
export type KnownSchemaName = keyof SchemaTypes;
/** Value type of a schema name: built-in (SchemaTypes), signal (SignalSchemaTypes), else unknown. */
export type ValueOf<N extends string> = N extends KnownSchemaName
  ? SchemaTypes[N]
  : N extends keyof SignalSchemaTypes
    ? SignalSchemaTypes[N]
    : unknown;

// ------------------------------------------------------------ helpers

const NS_PER_US = 1000n;

function usToNs(us: Micros | null | undefined): bigint | undefined {
  return us === null || us === undefined ? undefined : BigInt(Math.trunc(us)) * NS_PER_US;
}

function writeVenue(w: BinaryWriter, venue: VenueId): void {
  const code = venueCode(venue);
  if (code <= 0) throw new RangeError(`unknown venue '${String(venue)}'`);
  w.u8(code);
}

function readVenue(r: BinaryReader): VenueId {
  const code = r.u8();
  // A venue added after this reader was built: keep the code visible rather than failing.
  return venueFromCode(code) ?? (`venue#${code}` as VenueId);
}

function parseObject(text: string, schema: string): Record<string, unknown> {
  const v: unknown = JSON.parse(text);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new SyntaxError(`${schema}: JSON value is not an object`);
  }
  return v as Record<string, unknown>;
}

function expectType<T extends { type: string }>(o: Record<string, unknown>, type: T['type'], schema: string): T {
  if (o['type'] !== type) throw new SyntaxError(`${schema}: expected type '${type}', got '${String(o['type'])}'`);
  return o as unknown as T;
}

const instrumentKey = (v: { venue: string; symbol: string }): string => `${v.venue}:${v.symbol}`;

// ------------------------------------------------------------ tick schemas

const tradeSchema: Schema<TradeEvent> = {
  name: 'tick.trade',
  id: 1,
  version: { major: 1, minor: 0 },
  kind: 'ticks',
  policy: 'never-drop',
  topic: (prefix) => `${prefix}ticks`,
  key: instrumentKey,
  recvNs: (v) => usToNs(v.recvTs),
  toJson: (v) => JSON.stringify(v),
  fromJson: (t) => expectType<TradeEvent>(parseObject(t, 'tick.trade'), 'trade', 'tick.trade'),
  writeBinary(w, v) {
    writeVenue(w, v.venue);
    w.u8(v.side === 'sell' ? 1 : 0);
    w.i64(v.ts).i64(v.recvTs).f64(v.price).f64(v.qty).str16(v.symbol).str16(v.id);
  },
  readBinary(r) {
    const venue = readVenue(r);
    const side = r.u8() === 1 ? 'sell' : 'buy';
    const ts = r.i64();
    const recvTs = r.i64() ?? 0;
    const price = r.f64();
    const qty = r.f64();
    const symbol = r.str16();
    const id = r.str16();
    return { type: 'trade', venue, symbol, ts, recvTs, price, qty, side, id };
  },
};

const bboSchema: Schema<BboEvent> = {
  name: 'tick.bbo',
  id: 2,
  version: { major: 1, minor: 0 },
  kind: 'ticks',
  policy: 'never-drop',
  topic: (prefix) => `${prefix}ticks`,
  key: instrumentKey,
  recvNs: (v) => usToNs(v.recvTs),
  toJson: (v) => JSON.stringify(v),
  fromJson: (t) => expectType<BboEvent>(parseObject(t, 'tick.bbo'), 'bbo', 'tick.bbo'),
  writeBinary(w, v) {
    writeVenue(w, v.venue);
    w.i64(v.ts).i64(v.recvTs).f64(v.bidPx).f64(v.bidQty).f64(v.askPx).f64(v.askQty).str16(v.symbol);
  },
  readBinary(r) {
    const venue = readVenue(r);
    const ts = r.i64();
    const recvTs = r.i64() ?? 0;
    const bidPx = r.f64();
    const bidQty = r.f64();
    const askPx = r.f64();
    const askQty = r.f64();
    const symbol = r.str16();
    return { type: 'bbo', venue, symbol, ts, recvTs, bidPx, bidQty, askPx, askQty };
  },
};

const BOOK_SNAPSHOT = 1;
const BOOK_SEQ = 2;
const BOOK_PREV_SEQ = 4;
const BOOK_CHECKSUM = 8;

const bookSchema: Schema<BookEvent> = {
  name: 'tick.book',
  id: 3,
  version: { major: 1, minor: 0 },
  kind: 'ticks',
  policy: 'never-drop',
  topic: (prefix) => `${prefix}ticks`,
  key: instrumentKey,
  recvNs: (v) => usToNs(v.recvTs),
  toJson: (v) => JSON.stringify(v),
  fromJson: (t) => expectType<BookEvent>(parseObject(t, 'tick.book'), 'book', 'tick.book'),
  writeBinary(w, v) {
    writeVenue(w, v.venue);
    const flags =
      (v.snapshot ? BOOK_SNAPSHOT : 0) |
      (v.seq !== undefined ? BOOK_SEQ : 0) |
      (v.prevSeq !== undefined ? BOOK_PREV_SEQ : 0) |
      (v.checksum !== undefined ? BOOK_CHECKSUM : 0);
    w.u8(flags);
    w.i64(v.ts).i64(v.recvTs);
    w.f64(v.seq ?? 0)
      .f64(v.prevSeq ?? 0)
      .f64(v.checksum ?? 0);
    w.u32(v.bids.length).u32(v.asks.length);
    for (const [p, q] of v.bids) w.f64(p).f64(q);
    for (const [p, q] of v.asks) w.f64(p).f64(q);
    w.str16(v.symbol);
  },
  readBinary(r) {
    const venue = readVenue(r);
    const flags = r.u8();
    const ts = r.i64();
    const recvTs = r.i64() ?? 0;
    const seq = r.f64();
    const prevSeq = r.f64();
    const checksum = r.f64();
    const nb = r.u32();
    const na = r.u32();
    if (!r.has((nb + na) * 16)) throw new BinaryDecodeError(`tick.book: ${nb}+${na} levels do not fit the record`);
    const bids: Level[] = [];
    const asks: Level[] = [];
    for (let i = 0; i < nb; i++) bids.push([r.f64(), r.f64()]);
    for (let i = 0; i < na; i++) asks.push([r.f64(), r.f64()]);
    const symbol = r.str16();
    const ev: BookEvent = {
      type: 'book',
      venue,
      symbol,
      ts,
      recvTs,
      snapshot: (flags & BOOK_SNAPSHOT) !== 0,
      bids,
      asks,
    };
    if (flags & BOOK_SEQ) ev.seq = seq;
    if (flags & BOOK_PREV_SEQ) ev.prevSeq = prevSeq;
    if (flags & BOOK_CHECKSUM) ev.checksum = checksum;
    return ev;
  },
};

const DER_MARK = 1;
const DER_INDEX = 2;
const DER_FUNDING = 4;
const DER_NEXT = 8;

const derivativeSchema: Schema<DerivativeEvent> = {
  name: 'tick.derivative',
  id: 4,
  version: { major: 1, minor: 0 },
  kind: 'ticks',
  policy: 'never-drop',
  topic: (prefix) => `${prefix}ticks`,
  key: instrumentKey,
  recvNs: (v) => usToNs(v.recvTs),
  toJson: (v) => JSON.stringify(v),
  fromJson: (t) => expectType<DerivativeEvent>(parseObject(t, 'tick.derivative'), 'derivative', 'tick.derivative'),
  writeBinary(w, v) {
    writeVenue(w, v.venue);
    const flags =
      (v.markPx !== undefined ? DER_MARK : 0) |
      (v.indexPx !== undefined ? DER_INDEX : 0) |
      (v.fundingRate !== undefined ? DER_FUNDING : 0) |
      (v.nextFundingTs !== undefined ? DER_NEXT : 0);
    w.u8(flags);
    w.i64(v.ts).i64(v.recvTs);
    w.f64(v.markPx ?? 0)
      .f64(v.indexPx ?? 0)
      .f64(v.fundingRate ?? 0)
      .i64(v.nextFundingTs ?? 0);
    w.str16(v.symbol);
  },
  readBinary(r) {
    const venue = readVenue(r);
    const flags = r.u8();
    const ts = r.i64();
    const recvTs = r.i64() ?? 0;
    const markPx = r.f64();
    const indexPx = r.f64();
    const fundingRate = r.f64();
    const nextFundingTs = r.i64();
    const symbol = r.str16();
    const ev: DerivativeEvent = { type: 'derivative', venue, symbol, ts, recvTs };
    if (flags & DER_MARK) ev.markPx = markPx;
    if (flags & DER_INDEX) ev.indexPx = indexPx;
    if (flags & DER_FUNDING) ev.fundingRate = fundingRate;
    if (flags & DER_NEXT && nextFundingTs !== null) ev.nextFundingTs = nextFundingTs;
    return ev;
  },
};

// ------------------------------------------------------------ status / metrics / raw

const STATUS_TYPES = ['status', 'reject', 'feed_status', 'book_status'] as const;

function code<T>(list: readonly T[], value: T, what: string): number {
  const i = list.indexOf(value);
  if (i < 0) throw new RangeError(`status: unknown ${what} '${String(value)}'`);
  return i;
}

function pickCode<T>(list: readonly T[], i: number, what: string): T {
  const v = list[i];
  if (v === undefined) throw new BinaryDecodeError(`status: unknown ${what} code ${i}`);
  return v;
}

const statusSchema: Schema<StatusRecord> = {
  name: 'status',
  id: 5,
  version: { major: 1, minor: 1 },
  kind: 'status',
  policy: 'never-drop',
  topic: (prefix) => `${prefix}status`,
  // A book's state changes stay in order on its instrument's key; venue-wide events on `<venue>:*`.
  key: (v) =>
    v.type === 'book_status' || (v.type === 'feed_status' && v.symbol) ? `${v.venue}:${v.symbol}` : `${v.venue}:*`,
  recvNs: (v) => (v.type === 'feed_status' || v.type === 'book_status' ? usToNs(v.ts) : undefined),
  toJson: (v) => JSON.stringify(v),
  fromJson(t) {
    const o = parseObject(t, 'status');
    if (!(STATUS_TYPES as readonly unknown[]).includes(o['type'])) {
      throw new SyntaxError(`status: expected type ${STATUS_TYPES.join(', ')}, got '${String(o['type'])}'`);
    }
    return o as unknown as StatusRecord;
  },
  writeBinary(w, v) {
    switch (v.type) {
      case 'status':
        w.u8(1);
        writeVenue(w, v.venue);
        w.u8(STATUS_KINDS.indexOf(v.kind));
        w.u8(v.detail !== undefined ? 1 : 0);
        w.str16(v.detail ?? '');
        return;
      case 'reject':
        w.u8(2);
        writeVenue(w, v.venue);
        w.u8(REJECT_REASONS.indexOf(v.reason));
        w.u8(1);
        w.str16(v.sample);
        return;
      case 'feed_status':
        w.u8(3);
        writeVenue(w, v.venue);
        w.u8(code(FEED_STATES, v.state, 'feed state'));
        w.u8((v.reason !== undefined ? 1 : 0) | (v.symbol !== undefined ? 2 : 0));
        w.str16(v.reason ?? '');
        w.str16(v.symbol ?? '');
        w.u32(v.connection);
        w.i64(v.ts);
        return;
      case 'book_status':
        w.u8(4);
        writeVenue(w, v.venue);
        w.u8(code(BOOK_STATES, v.state, 'book state'));
        w.u8(code(BOOK_STATES, v.previous, 'book state'));
        w.u8(code(BOOK_REASONS, v.reason, 'book reason'));
        w.str16(v.symbol);
        w.i64(v.ts);
        return;
    }
  },
  readBinary(r) {
    const type = r.u8();
    const venue = readVenue(r);
    if (type === 3) {
      const state = pickCode(FEED_STATES, r.u8(), 'feed state');
      const has = r.u8();
      const reason = r.str16();
      const symbol = r.str16();
      const ev: FeedStatusEvent = { type: 'feed_status', venue, connection: r.u32(), state, ts: r.i64() ?? 0 };
      if (has & 1) ev.reason = reason;
      if (has & 2) ev.symbol = symbol;
      return ev;
    }
    if (type === 4) {
      const state = pickCode(BOOK_STATES, r.u8(), 'book state');
      const previous = pickCode(BOOK_STATES, r.u8(), 'book state');
      const reason = pickCode(BOOK_REASONS, r.u8(), 'book reason');
      return { type: 'book_status', venue, symbol: r.str16(), state, previous, reason, ts: r.i64() ?? 0 };
    }
    const sub = r.u8();
    const hasText = r.u8() === 1;
    const text = r.str16();
    if (type === 1) {
      const kind = STATUS_KINDS[sub];
      if (kind === undefined) throw new BinaryDecodeError(`status: unknown kind code ${sub}`);
      const ev: StatusEvent = { type: 'status', venue, kind };
      if (hasText) ev.detail = text;
      return ev;
    }
    if (type === 2) {
      const reason = REJECT_REASONS[sub];
      if (reason === undefined) throw new BinaryDecodeError(`status: unknown reject reason code ${sub}`);
      return { type: 'reject', venue, reason, sample: text };
    }
    throw new BinaryDecodeError(`status: unknown record type ${type}`);
  },
};

const metricsSchema: Schema<MetricsSnapshot> = {
  name: 'metrics',
  id: 6,
  version: { major: 1, minor: 0 },
  kind: 'metrics',
  policy: 'drop',
  topic: (prefix) => `${prefix}metrics`,
  key: (v) => v.source,
  recvNs: (v) => usToNs(v.ts),
  toJson: (v) => JSON.stringify(v),
  fromJson(t) {
    const o = parseObject(t, 'metrics');
    if (typeof o['ts'] !== 'number' || typeof o['source'] !== 'string' || typeof o['values'] !== 'object') {
      throw new SyntaxError('metrics: need ts, source and values');
    }
    return o as unknown as MetricsSnapshot;
  },
  writeBinary(w, v) {
    const entries = Object.entries(v.values);
    w.i64(v.ts).str16(v.source).u32(entries.length);
    for (const [name, value] of entries) w.str16(name).f64(value);
  },
  readBinary(r) {
    const ts = r.i64() ?? 0;
    const source = r.str16();
    const n = r.u32();
    const values: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const name = r.str16();
      values[name] = r.f64();
    }
    return { ts, source, values };
  },
};

interface RawJson {
  venue: VenueId;
  market?: Market;
  conn?: string;
  recvNs: string;
  /** The frame as UTF-8 text, when it is valid UTF-8. */
  frame?: string;
  /** The frame in base64, when it is not valid UTF-8. */
  frameBase64?: string;
}

function isUtf8(b: Buffer): boolean {
  return Buffer.from(b.toString('utf8'), 'utf8').equals(b);
}

const rawSchema: Schema<RawFrame> = {
  name: 'raw',
  id: 7,
  version: { major: 1, minor: 0 },
  kind: 'raw',
  policy: 'never-drop',
  topic: (prefix, v) => `${prefix}raw.${v.venue}`,
  key: (v) => `${v.venue}:${v.conn ?? '*'}`,
  recvNs: (v) => v.recvNs,
  toJson(v) {
    const o: RawJson = { venue: v.venue, recvNs: v.recvNs.toString() };
    if (v.market !== undefined) o.market = v.market;
    if (v.conn !== undefined) o.conn = v.conn;
    if (isUtf8(v.frame)) o.frame = v.frame.toString('utf8');
    else o.frameBase64 = v.frame.toString('base64');
    return JSON.stringify(o);
  },
  fromJson(t) {
    const o = parseObject(t, 'raw') as unknown as RawJson;
    if (typeof o.recvNs !== 'string' || typeof o.venue !== 'string')
      throw new SyntaxError('raw: need venue and recvNs');
    const v: RawFrame = {
      venue: o.venue,
      recvNs: BigInt(o.recvNs),
      frame: o.frameBase64 !== undefined ? Buffer.from(o.frameBase64, 'base64') : Buffer.from(o.frame ?? '', 'utf8'),
    };
    if (o.market !== undefined) v.market = o.market;
    if (o.conn !== undefined) v.conn = o.conn;
    return v;
  },
  writeBinary(w, v) {
    writeVenue(w, v.venue);
    w.u8(v.market === undefined ? 0 : MARKETS.indexOf(v.market) + 1);
    w.u64big(v.recvNs);
    w.u8(v.conn !== undefined ? 1 : 0).str16(v.conn ?? '');
    w.bytes32(v.frame);
  },
  readBinary(r) {
    const venue = readVenue(r);
    const m = r.u8();
    const recvNs = r.u64big();
    const hasConn = r.u8() === 1;
    const conn = r.str16();
    const frame = Buffer.from(r.bytes32());
    const v: RawFrame = { venue, recvNs, frame };
    const market = MARKETS[m - 1];
    if (market !== undefined) v.market = market;
    if (hasConn) v.conn = conn;
    return v;
  },
};

// ------------------------------------------------------------ registry

const byName = new Map<string, Schema<unknown>>();
const byId = new Map<number, Schema<unknown>>();

/** Adds a schema (e.g. a signal). Names and ids must be unique; ids 32..255 are for signals. */
export function registerSchema<T>(schema: Schema<T>): Schema<T> {
  if (!Number.isInteger(schema.id) || schema.id < 1 || schema.id > 255) {
    throw new RangeError(`schema ${schema.name}: id must be 1..255, got ${schema.id}`);
  }
  const { major, minor } = schema.version;
  if (!(Number.isInteger(major) && major >= 1 && major <= 15 && Number.isInteger(minor) && minor >= 0 && minor <= 15)) {
    throw new RangeError(`schema ${schema.name}: version must be major 1..15, minor 0..15`);
  }
  if (schema.kind === 'signal' && (schema.signal === undefined || !/^[a-z0-9_]+$/.test(schema.signal))) {
    throw new RangeError(`schema ${schema.name}: a signal schema needs a signal name of [a-z0-9_]`);
  }
  const clashName = byName.get(schema.name);
  const clashId = byId.get(schema.id);
  if (clashName !== undefined || clashId !== undefined) {
    throw new Error(
      `schema ${schema.name} (id ${schema.id}) clashes with ${(clashName ?? clashId)?.name ?? '?'} already registered`,
    );
  }
  byName.set(schema.name, schema as Schema<unknown>);
  byId.set(schema.id, schema as Schema<unknown>);
  return schema;
}

/** Removes a schema (tests). */
export function unregisterSchema(name: string): void {
  const s = byName.get(name);
  if (s === undefined) return;
  byName.delete(name);
  byId.delete(s.id);
}

for (const s of [tradeSchema, bboSchema, bookSchema, derivativeSchema, statusSchema, metricsSchema, rawSchema]) {
  registerSchema<never>(s as Schema<never>);
}

export function getSchema<N extends KnownSchemaName>(name: N): Schema<SchemaTypes[N]>;
export function getSchema(name: string): Schema<unknown>;
export function getSchema(name: string): Schema<unknown> {
  const s = byName.get(name);
  if (s === undefined) throw new Error(`unknown schema '${name}' (known: ${[...byName.keys()].join(', ')})`);
  return s;
}

export function findSchema(name: string): Schema<unknown> | undefined {
  return byName.get(name);
}

export function schemaById(id: number): Schema<unknown> | undefined {
  return byId.get(id);
}

export function allSchemas(): Schema<unknown>[] {
  return [...byName.values()];
}

/** The tick schema for a canonical market event type. */
export function tickSchemaName(type: 'trade' | 'bbo' | 'book' | 'derivative'): KnownSchemaName {
  return `tick.${type}`;
}

export function versionString(v: SchemaVersion): string {
  return `${v.major}.${v.minor}`;
}

export function versionByte(v: SchemaVersion): number {
  return (v.major << 4) | v.minor;
}

// ------------------------------------------------------------ encode / decode

export function encodeValue<T>(schema: Schema<T>, value: T, encoding: Encoding): Buffer {
  if (encoding === 'json') return Buffer.from(schema.toJson(value), 'utf8');
  const w = new BinaryWriter(96);
  w.u8(schema.id).u8(versionByte(schema.version));
  schema.writeBinary(w, value);
  return w.done();
}

export interface DecodedValue {
  schema: Schema<unknown>;
  value: unknown;
  /** Version the record was written with (binary: from its version byte; JSON: from the header). */
  version: SchemaVersion;
}

export class SchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaError';
  }
}

export function parseVersion(text: string | undefined): SchemaVersion | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+)\.(\d+)$/.exec(text);
  return m === null ? undefined : { major: Number(m[1]), minor: Number(m[2]) };
}

/** Decodes a binary record: schema from its id byte, version from its version byte. */
export function decodeBinary(buf: Buffer): DecodedValue {
  if (buf.length < 2) throw new SchemaError(`binary record of ${buf.length} bytes has no header`);
  const id = buf[0] as number;
  const vb = buf[1] as number;
  const schema = schemaById(id);
  if (schema === undefined) throw new SchemaError(`unknown schema id ${id}`);
  const version = { major: vb >> 4, minor: vb & 0x0f };
  if (version.major !== schema.version.major) {
    throw new SchemaError(
      `${schema.name}: record is version ${versionString(version)}, this reader only understands major ${schema.version.major}`,
    );
  }
  // Unknown trailing bytes (fields of a later minor) are skipped: the reader stops where it knows.
  const value = schema.readBinary(new BinaryReader(buf, 2), version.minor);
  return { schema, value, version };
}

/** Decodes a JSON record of the named schema. */
export function decodeJson(schemaName: string, buf: Buffer, versionText?: string): DecodedValue {
  const schema = findSchema(schemaName);
  if (schema === undefined) throw new SchemaError(`unknown schema '${schemaName}'`);
  const version = parseVersion(versionText) ?? schema.version;
  if (version.major !== schema.version.major) {
    throw new SchemaError(
      `${schema.name}: record is version ${versionString(version)}, this reader only understands major ${schema.version.major}`,
    );
  }
  return { schema, value: schema.fromJson(buf.toString('utf8')), version };
}
