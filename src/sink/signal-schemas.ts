// Kafka schemas of the engine's signal records (docs/schemas.md, "Signals"):
// one schema per signal kind, topic `<prefix>signals.<signal>`, key
// `<venue>:<symbol>` (`*:<symbol>` when consolidated), JSON = the SignalRecord
// object of src/engine/signals.ts, binary = a fixed little-endian layout.
// Importing this module registers them (src/sink/index.ts and the consumer
// SDK both do), so startupTopics() knows the eight signal topics.
import { venueCode, venueFromCode, type VenueId } from '../events';
import type {
  BarSignal,
  BasisSignal,
  BboSignal,
  DepthImbalanceSignal,
  EmaSignal,
  NbboSignal,
  OfiSignal,
  SignalName,
  SignalRecord,
  TradeStatsSignal,
} from '../engine/signals';
import { BinaryDecodeError, type BinaryReader, type BinaryWriter } from './binary';
import { registerSchema, type DeliveryPolicy, type Schema } from './schemas';

/** Value type per signal schema name (the `schema` header). */
export interface SignalSchemaTypes {
  'signal.bbo': BboSignal;
  'signal.depth_imbalance': DepthImbalanceSignal;
  'signal.trade_stats': TradeStatsSignal;
  'signal.ema': EmaSignal;
  'signal.ofi': OfiSignal;
  'signal.bar': BarSignal;
  'signal.nbbo': NbboSignal;
  'signal.basis': BasisSignal;
}
export type SignalSchemaName = keyof SignalSchemaTypes;

/** Schema name per signal kind. */
export const SIGNAL_SCHEMA_NAMES: Readonly<{ [K in SignalName]: `signal.${K}` }> = Object.freeze({
  bbo: 'signal.bbo',
  depth_imbalance: 'signal.depth_imbalance',
  trade_stats: 'signal.trade_stats',
  ema: 'signal.ema',
  ofi: 'signal.ofi',
  bar: 'signal.bar',
  nbbo: 'signal.nbbo',
  basis: 'signal.basis',
});

// ------------------------------------------------------------ the common head

/** Flags byte: bit 0 valid; bit 1 crossed (nbbo only). */
const FLAG_VALID = 1;
const FLAG_CROSSED = 2;

/** Bytes of the head after the id/version header: venue u8, flags u8, ts i64, emitTs i64. */
const HEAD_BYTES = 18;

interface Head {
  venue: VenueId | null;
  flags: number;
  ts: number;
  emitTs: number;
}

/** u8 venue code; 0 = none (consolidated). */
function writeVenueOrNone(w: BinaryWriter, venue: VenueId | null): void {
  if (venue === null) {
    w.u8(0);
    return;
  }
  const code = venueCode(venue);
  if (code <= 0 || code > 255) throw new RangeError(`unknown venue '${String(venue)}'`);
  w.u8(code);
}

function readVenueOrNone(r: BinaryReader): VenueId | null {
  const code = r.u8();
  if (code === 0) return null;
  // A venue added after this reader was built: keep the code visible rather than failing.
  return venueFromCode(code) ?? (`venue#${code}` as VenueId);
}

/** i64 that is never absent: the all-ones pattern is the value −1 here, not null. */
function readTime(r: BinaryReader): number {
  return r.i64() ?? -1;
}

function writeHead(w: BinaryWriter, v: SignalRecord, extraFlags = 0): void {
  writeVenueOrNone(w, v.venue);
  w.u8((v.valid ? FLAG_VALID : 0) | extraFlags);
  w.i64(v.ts).i64(v.emitTs);
}

function readHead(r: BinaryReader): Head {
  const venue = readVenueOrNone(r);
  const flags = r.u8();
  const ts = readTime(r);
  const emitTs = readTime(r);
  return { venue, flags, ts, emitTs };
}

/** For the signals that always belong to one venue. */
function venueOf(h: Head, signal: SignalName): VenueId {
  if (h.venue === null) throw new BinaryDecodeError(`signal.${signal}: record without a venue`);
  return h.venue;
}

// ------------------------------------------------------------ JSON

/** What a JSON record of a signal must carry (fields beyond these are kept: a later minor may add some). */
interface JsonShape {
  numbers: readonly string[];
  strings?: readonly string[];
  booleans?: readonly string[];
  /** Venue fields that may be null. */
  venues?: readonly string[];
  /** Whether `venue` itself may be null (consolidated values). */
  consolidated: boolean;
}

function parseSignalJson<T extends SignalRecord>(text: string, signal: T['signal'], shape: JsonShape): T {
  const v: unknown = JSON.parse(text);
  const name = `signal.${signal}`;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SyntaxError(`${name}: not a JSON object`);
  const o = v as Record<string, unknown>;
  const bad = (field: string, want: string): never => {
    throw new SyntaxError(`${name}: field '${field}' must be ${want}, got ${JSON.stringify(o[field]) ?? 'nothing'}`);
  };
  if (o['signal'] !== signal) bad('signal', `'${signal}'`);
  if (typeof o['symbol'] !== 'string') bad('symbol', 'a string');
  if (!(typeof o['venue'] === 'string' || (shape.consolidated && o['venue'] === null))) {
    bad('venue', shape.consolidated ? 'a string or null' : 'a string');
  }
  if (typeof o['valid'] !== 'boolean') bad('valid', 'a boolean');
  for (const f of ['ts', 'emitTs', ...shape.numbers]) if (typeof o[f] !== 'number') bad(f, 'a number');
  for (const f of shape.strings ?? []) if (typeof o[f] !== 'string') bad(f, 'a string');
  for (const f of shape.booleans ?? []) if (typeof o[f] !== 'boolean') bad(f, 'a boolean');
  for (const f of shape.venues ?? []) if (!(typeof o[f] === 'string' || o[f] === null)) bad(f, 'a string or null');
  return o as unknown as T;
}

// ------------------------------------------------------------ the schema factory

interface SignalDef<T extends SignalRecord> {
  signal: T['signal'];
  /** Binary id, 32..255; never reused. Equal to the ring record type today, but independent of it. */
  id: number;
  policy: DeliveryPolicy;
  /** Values of one key that do not supersede each other (one per window, half-life, interval). */
  slot?: (v: T) => number;
  json: JsonShape;
  /** Everything after the head. */
  write(w: BinaryWriter, v: T): void;
  /** Everything after the head, given the head. */
  read(r: BinaryReader, h: Head, minor: number): T;
}

const NS_PER_US = 1000n;

function signalSchema<T extends SignalRecord>(def: SignalDef<T>): Schema<T> {
  // Topic strings are built once per prefix, not per record.
  let lastPrefix: string | undefined;
  let lastTopic = '';
  const schema: Schema<T> = {
    name: `signal.${def.signal}`,
    id: def.id,
    version: { major: 1, minor: 0 },
    kind: 'signal',
    signal: def.signal,
    policy: def.policy,
    topic(prefix) {
      if (prefix !== lastPrefix) {
        lastPrefix = prefix;
        lastTopic = `${prefix}signals.${def.signal}`;
      }
      return lastTopic;
    },
    key: (v) => `${v.venue ?? '*'}:${v.symbol}`,
    // The engine clock is set to the receive time of the input being processed, so emitTs is
    // the receive time of the data that caused the record (ts is event time: a bar's start).
    recvNs: (v) => BigInt(Math.trunc(v.emitTs)) * NS_PER_US,
    toJson: (v) => JSON.stringify(v),
    fromJson: (t) => parseSignalJson<T>(t, def.signal, def.json),
    writeBinary(w, v) {
      def.write(w, v);
    },
    readBinary(r, minor) {
      return def.read(r, readHead(r), minor);
    },
  };
  if (def.slot !== undefined) schema.conflationSlot = def.slot;
  return schema;
}

// ------------------------------------------------------------ the eight signals

const bbo = signalSchema<BboSignal>({
  signal: 'bbo',
  id: 32,
  policy: 'conflate',
  json: {
    numbers: ['bidPx', 'bidQty', 'askPx', 'askQty', 'mid', 'spreadBps', 'microprice', 'imbalance'],
    consolidated: false,
  },
  write(w, v) {
    writeHead(w, v);
    w.f64(v.bidPx).f64(v.bidQty).f64(v.askPx).f64(v.askQty);
    w.f64(v.mid).f64(v.spreadBps).f64(v.microprice).f64(v.imbalance);
    w.str16(v.symbol);
  },
  read(r, h) {
    const bidPx = r.f64();
    const bidQty = r.f64();
    const askPx = r.f64();
    const askQty = r.f64();
    const mid = r.f64();
    const spreadBps = r.f64();
    const microprice = r.f64();
    const imbalance = r.f64();
    const symbol = r.str16();
    return {
      signal: 'bbo',
      venue: venueOf(h, 'bbo'),
      symbol,
      ts: h.ts,
      emitTs: h.emitTs,
      valid: (h.flags & FLAG_VALID) !== 0,
      bidPx,
      bidQty,
      askPx,
      askQty,
      mid,
      spreadBps,
      microprice,
      imbalance,
    };
  },
});

const depthImbalance = signalSchema<DepthImbalanceSignal>({
  signal: 'depth_imbalance',
  id: 33,
  policy: 'conflate',
  slot: (v) => v.levels,
  json: { numbers: ['levels', 'value'], consolidated: false },
  write(w, v) {
    writeHead(w, v);
    w.u32(v.levels).f64(v.value).str16(v.symbol);
  },
  read(r, h) {
    const levels = r.u32();
    const value = r.f64();
    const symbol = r.str16();
    return {
      signal: 'depth_imbalance',
      venue: venueOf(h, 'depth_imbalance'),
      symbol,
      ts: h.ts,
      emitTs: h.emitTs,
      valid: (h.flags & FLAG_VALID) !== 0,
      levels,
      value,
    };
  },
});

const tradeStats = signalSchema<TradeStatsSignal>({
  signal: 'trade_stats',
  id: 34,
  policy: 'never-drop',
  slot: (v) => v.window,
  json: {
    numbers: ['window', 'vwap', 'volume', 'buyVolume', 'sellVolume', 'trades', 'tfi', 'rv'],
    consolidated: false,
  },
  write(w, v) {
    writeHead(w, v);
    w.i64(v.window).u32(v.trades);
    w.f64(v.vwap).f64(v.volume).f64(v.buyVolume).f64(v.sellVolume).f64(v.tfi).f64(v.rv);
    w.str16(v.symbol);
  },
  read(r, h) {
    const window = readTime(r);
    const trades = r.u32();
    const vwap = r.f64();
    const volume = r.f64();
    const buyVolume = r.f64();
    const sellVolume = r.f64();
    const tfi = r.f64();
    const rv = r.f64();
    const symbol = r.str16();
    return {
      signal: 'trade_stats',
      venue: venueOf(h, 'trade_stats'),
      symbol,
      ts: h.ts,
      emitTs: h.emitTs,
      valid: (h.flags & FLAG_VALID) !== 0,
      window,
      vwap,
      volume,
      buyVolume,
      sellVolume,
      trades,
      tfi,
      rv,
    };
  },
});

const ema = signalSchema<EmaSignal>({
  signal: 'ema',
  id: 35,
  // Each record is the whole current state of one EMA, and a strategy wants the latest; the
  // history can be recomputed from the ticks, which are never dropped. One slot per half-life.
  policy: 'conflate',
  slot: (v) => v.halfLife,
  json: { numbers: ['halfLife', 'value'], consolidated: false },
  write(w, v) {
    writeHead(w, v);
    w.i64(v.halfLife).f64(v.value).str16(v.symbol);
  },
  read(r, h) {
    const halfLife = readTime(r);
    const value = r.f64();
    const symbol = r.str16();
    return {
      signal: 'ema',
      venue: venueOf(h, 'ema'),
      symbol,
      ts: h.ts,
      emitTs: h.emitTs,
      valid: (h.flags & FLAG_VALID) !== 0,
      halfLife,
      value,
    };
  },
});

const ofi = signalSchema<OfiSignal>({
  signal: 'ofi',
  id: 36,
  // A windowed sum up to ts: the latest record already contains the flow of the ones it replaces
  // (within the window), and ofi comes at top-of-book rate. One slot per window length.
  policy: 'conflate',
  slot: (v) => v.window,
  json: { numbers: ['window', 'value'], consolidated: false },
  write(w, v) {
    writeHead(w, v);
    w.i64(v.window).f64(v.value).str16(v.symbol);
  },
  read(r, h) {
    const window = readTime(r);
    const value = r.f64();
    const symbol = r.str16();
    return {
      signal: 'ofi',
      venue: venueOf(h, 'ofi'),
      symbol,
      ts: h.ts,
      emitTs: h.emitTs,
      valid: (h.flags & FLAG_VALID) !== 0,
      window,
      value,
    };
  },
});

const bar = signalSchema<BarSignal>({
  signal: 'bar',
  id: 37,
  policy: 'never-drop',
  slot: (v) => v.interval,
  json: {
    numbers: ['interval', 'start', 'end', 'open', 'high', 'low', 'close', 'volume', 'vwap', 'trades', 'revision'],
    consolidated: false,
  },
  write(w, v) {
    writeHead(w, v);
    w.i64(v.interval).i64(v.start).i64(v.end);
    w.f64(v.open).f64(v.high).f64(v.low).f64(v.close).f64(v.volume).f64(v.vwap);
    w.u32(v.trades).u32(v.revision);
    w.str16(v.symbol);
  },
  read(r, h) {
    const interval = readTime(r);
    const start = readTime(r);
    const end = readTime(r);
    const open = r.f64();
    const high = r.f64();
    const low = r.f64();
    const close = r.f64();
    const volume = r.f64();
    const vwap = r.f64();
    const trades = r.u32();
    const revision = r.u32();
    const symbol = r.str16();
    return {
      signal: 'bar',
      venue: venueOf(h, 'bar'),
      symbol,
      ts: h.ts,
      emitTs: h.emitTs,
      valid: (h.flags & FLAG_VALID) !== 0,
      interval,
      start,
      end,
      open,
      high,
      low,
      close,
      volume,
      vwap,
      trades,
      revision,
    };
  },
});

const nbbo = signalSchema<NbboSignal>({
  signal: 'nbbo',
  id: 38,
  policy: 'conflate',
  json: {
    numbers: ['bidPx', 'bidQty', 'askPx', 'askQty', 'crossBps'],
    booleans: ['crossed'],
    venues: ['bidVenue', 'askVenue'],
    consolidated: true,
  },
  write(w, v) {
    writeHead(w, v, v.crossed ? FLAG_CROSSED : 0);
    w.f64(v.bidPx).f64(v.bidQty).f64(v.askPx).f64(v.askQty).f64(v.crossBps);
    writeVenueOrNone(w, v.bidVenue);
    writeVenueOrNone(w, v.askVenue);
    w.str16(v.symbol);
  },
  read(r, h) {
    const bidPx = r.f64();
    const bidQty = r.f64();
    const askPx = r.f64();
    const askQty = r.f64();
    const crossBps = r.f64();
    const bidVenue = readVenueOrNone(r);
    const askVenue = readVenueOrNone(r);
    const symbol = r.str16();
    return {
      signal: 'nbbo',
      venue: null,
      symbol,
      ts: h.ts,
      emitTs: h.emitTs,
      valid: (h.flags & FLAG_VALID) !== 0,
      bidPx,
      bidQty,
      bidVenue,
      askPx,
      askQty,
      askVenue,
      crossed: (h.flags & FLAG_CROSSED) !== 0,
      crossBps,
    };
  },
});

const basis = signalSchema<BasisSignal>({
  signal: 'basis',
  id: 39,
  policy: 'conflate',
  json: {
    numbers: ['spotMid', 'perpMid', 'bps'],
    strings: ['perpSymbol'],
    venues: ['spotVenue', 'perpVenue'],
    consolidated: true,
  },
  write(w, v) {
    writeHead(w, v);
    w.f64(v.spotMid).f64(v.perpMid).f64(v.bps);
    writeVenueOrNone(w, v.spotVenue);
    writeVenueOrNone(w, v.perpVenue);
    w.str16(v.symbol).str16(v.perpSymbol);
  },
  read(r, h) {
    const spotMid = r.f64();
    const perpMid = r.f64();
    const bps = r.f64();
    const spotVenue = readVenueOrNone(r);
    const perpVenue = readVenueOrNone(r);
    const symbol = r.str16();
    const perpSymbol = r.str16();
    return {
      signal: 'basis',
      venue: h.venue,
      symbol,
      ts: h.ts,
      emitTs: h.emitTs,
      valid: (h.flags & FLAG_VALID) !== 0,
      spotMid,
      perpMid,
      bps,
      perpSymbol,
      spotVenue,
      perpVenue,
    };
  },
});

/** The schema per signal kind. */
export const SIGNAL_SCHEMAS: Readonly<{ [K in SignalName]: Schema<Extract<SignalRecord, { signal: K }>> }> =
  Object.freeze({
    bbo,
    depth_imbalance: depthImbalance,
    trade_stats: tradeStats,
    ema,
    ofi,
    bar,
    nbbo,
    basis,
  });

/** Bytes of a binary signal record before its strings (2-byte header + head + fixed fields); docs/schemas.md. */
export const SIGNAL_FIXED_BYTES: Readonly<Record<SignalName, number>> = Object.freeze({
  bbo: 2 + HEAD_BYTES + 64,
  depth_imbalance: 2 + HEAD_BYTES + 12,
  trade_stats: 2 + HEAD_BYTES + 60,
  ema: 2 + HEAD_BYTES + 16,
  ofi: 2 + HEAD_BYTES + 16,
  bar: 2 + HEAD_BYTES + 80,
  nbbo: 2 + HEAD_BYTES + 42,
  basis: 2 + HEAD_BYTES + 26,
});

for (const s of Object.values(SIGNAL_SCHEMAS)) registerSchema<never>(s as Schema<never>);
