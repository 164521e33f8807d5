// Signal records (docs/signals.md, "Record layouts"; the native side is
// native/signals/signal_records.h): the plain signal objects that both the
// native engine (through this decoder) and the TS reference
// (src/reference/signals) produce, and the decoder that reads them in place
// from the ring's data area.
import { venueFromCode, type VenueId } from '../events';
import { RecordDecodeError } from './records';
import type { RecordView } from './ring';

/** Record type tags of the signal stage (after the normalizer's 16–22 and the book stage's 23–25). */
export const SIGNAL_RECORD_TYPES = {
  bbo: 32,
  depth_imbalance: 33,
  trade_stats: 34,
  ema: 35,
  ofi: 36,
  bar: 37,
  nbbo: 38,
  basis: 39,
} as const;
export type SignalName = keyof typeof SIGNAL_RECORD_TYPES;

/** Payload bytes per signal record type. */
export const SIGNAL_PAYLOAD_BYTES: Readonly<Record<SignalName, number>> = {
  bbo: 80,
  depth_imbalance: 32,
  trade_stats: 80,
  ema: 32,
  ofi: 32,
  bar: 96,
  nbbo: 64,
  basis: 48,
};

/** Ring header `flags` bit 0: the book the signal depends on was VALID. */
export const SIGNAL_VALID = 1 << 0;

interface SignalBase {
  signal: SignalName;
  /** The venue; null for values consolidated across venues (nbbo, consolidated basis). */
  venue: VenueId | null;
  symbol: string;
  /** Event time the signal refers to, µs. */
  ts: number;
  /** Engine clock when it was computed, µs. */
  emitTs: number;
  /** False when the book it depends on was not VALID. */
  valid: boolean;
}

export interface BboSignal extends SignalBase {
  signal: 'bbo';
  venue: VenueId;
  bidPx: number;
  bidQty: number;
  askPx: number;
  askQty: number;
  mid: number;
  spreadBps: number;
  microprice: number;
  imbalance: number;
}

export interface DepthImbalanceSignal extends SignalBase {
  signal: 'depth_imbalance';
  venue: VenueId;
  levels: number;
  value: number;
}

export interface TradeStatsSignal extends SignalBase {
  signal: 'trade_stats';
  venue: VenueId;
  /** µs; the window is (ts − window, ts]. */
  window: number;
  vwap: number;
  volume: number;
  buyVolume: number;
  sellVolume: number;
  trades: number;
  tfi: number;
  rv: number;
}

export interface EmaSignal extends SignalBase {
  signal: 'ema';
  venue: VenueId;
  /** µs */
  halfLife: number;
  value: number;
}

export interface OfiSignal extends SignalBase {
  signal: 'ofi';
  venue: VenueId;
  /** µs; the window is (ts − window, ts]. */
  window: number;
  value: number;
}

export interface BarSignal extends SignalBase {
  signal: 'bar';
  venue: VenueId;
  /** µs */
  interval: number;
  /** Inclusive start, µs (= ts). */
  start: number;
  /** Exclusive end, µs. */
  end: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  vwap: number;
  trades: number;
  /** 0 for the final emission; +1 per late revision (policy `revise`). */
  revision: number;
}

export interface NbboSignal extends SignalBase {
  signal: 'nbbo';
  venue: null;
  /** 0 with bidVenue null when no venue contributes a bid. */
  bidPx: number;
  bidQty: number;
  bidVenue: VenueId | null;
  askPx: number;
  askQty: number;
  askVenue: VenueId | null;
  crossed: boolean;
  /** (bid − ask) / ask · 10⁴ when crossed, else 0. */
  crossBps: number;
}

export interface BasisSignal extends SignalBase {
  signal: 'basis';
  /** The spot venue; null when consolidated. `symbol` is the spot symbol. */
  venue: VenueId | null;
  spotMid: number;
  perpMid: number;
  bps: number;
  perpSymbol: string;
  spotVenue: VenueId | null;
  perpVenue: VenueId | null;
}

export type SignalRecord =
  BboSignal | DepthImbalanceSignal | TradeStatsSignal | EmaSignal | OfiSignal | BarSignal | NbboSignal | BasisSignal;

/** Where the decoder finds symbol text by id (a RecordDecoder fed the same ring's symbol records). */
export interface SymbolLookup {
  symbol(id: number): string | undefined;
}

const TWO_32 = 4294967296;

/** Reads signal records (types 32–39) into SignalRecord objects; null for any other type. */
export class SignalDecoder {
  private data: Uint8Array | undefined;
  private view: DataView | undefined;

  constructor(private readonly symbols: SymbolLookup) {}

  static isSignalType(type: number): boolean {
    return type >= SIGNAL_RECORD_TYPES.bbo && type <= SIGNAL_RECORD_TYPES.basis;
  }

  decode(record: RecordView): SignalRecord | null {
    if (!SignalDecoder.isSignalType(record.type)) return null;
    const v = this.viewOf(record.data);
    const at = record.payloadOffset;
    const valid = (record.flags & SIGNAL_VALID) !== 0;
    const symbol = this.symbolOf(record.aux);
    const f64 = (off: number): number => v.getFloat64(at + off, true);
    const i64 = (off: number): number => v.getInt32(at + off + 4, true) * TWO_32 + v.getUint32(at + off, true);
    const ts = i64(0);
    const emitTs = i64(8);
    switch (record.type) {
      case SIGNAL_RECORD_TYPES.bbo:
        this.need(record, 'bbo');
        return {
          signal: 'bbo',
          venue: this.venueOf(record.venue),
          symbol,
          ts,
          emitTs,
          valid,
          bidPx: f64(16),
          bidQty: f64(24),
          askPx: f64(32),
          askQty: f64(40),
          mid: f64(48),
          spreadBps: f64(56),
          microprice: f64(64),
          imbalance: f64(72),
        };
      case SIGNAL_RECORD_TYPES.depth_imbalance:
        this.need(record, 'depth_imbalance');
        return {
          signal: 'depth_imbalance',
          venue: this.venueOf(record.venue),
          symbol,
          ts,
          emitTs,
          valid,
          levels: v.getUint32(at + 16, true),
          value: f64(24),
        };
      case SIGNAL_RECORD_TYPES.trade_stats:
        this.need(record, 'trade_stats');
        return {
          signal: 'trade_stats',
          venue: this.venueOf(record.venue),
          symbol,
          ts,
          emitTs,
          valid,
          window: i64(16),
          trades: v.getUint32(at + 24, true),
          vwap: f64(32),
          volume: f64(40),
          buyVolume: f64(48),
          sellVolume: f64(56),
          tfi: f64(64),
          rv: f64(72),
        };
      case SIGNAL_RECORD_TYPES.ema:
        this.need(record, 'ema');
        return {
          signal: 'ema',
          venue: this.venueOf(record.venue),
          symbol,
          ts,
          emitTs,
          valid,
          halfLife: i64(16),
          value: f64(24),
        };
      case SIGNAL_RECORD_TYPES.ofi:
        this.need(record, 'ofi');
        return {
          signal: 'ofi',
          venue: this.venueOf(record.venue),
          symbol,
          ts,
          emitTs,
          valid,
          window: i64(16),
          value: f64(24),
        };
      case SIGNAL_RECORD_TYPES.bar:
        this.need(record, 'bar');
        return {
          signal: 'bar',
          venue: this.venueOf(record.venue),
          symbol,
          ts,
          emitTs,
          valid,
          interval: i64(16),
          start: i64(24),
          end: i64(32),
          open: f64(40),
          high: f64(48),
          low: f64(56),
          close: f64(64),
          volume: f64(72),
          vwap: f64(80),
          trades: v.getUint32(at + 88, true),
          revision: v.getUint32(at + 92, true),
        };
      case SIGNAL_RECORD_TYPES.nbbo:
        this.need(record, 'nbbo');
        return {
          signal: 'nbbo',
          venue: null,
          symbol,
          ts,
          emitTs,
          valid,
          bidPx: f64(16),
          bidQty: f64(24),
          askPx: f64(32),
          askQty: f64(40),
          crossBps: f64(48),
          bidVenue: venueFromCode(v.getUint16(at + 56, true)) ?? null,
          askVenue: venueFromCode(v.getUint16(at + 58, true)) ?? null,
          crossed: v.getUint8(at + 60) !== 0,
        };
      default: {
        this.need(record, 'basis');
        const venue = record.venue === 0 ? null : this.venueOf(record.venue);
        return {
          signal: 'basis',
          venue,
          symbol,
          ts,
          emitTs,
          valid,
          spotMid: f64(16),
          perpMid: f64(24),
          bps: f64(32),
          perpSymbol: this.symbolOf(v.getUint32(at + 40, true)),
          spotVenue: venueFromCode(v.getUint16(at + 44, true)) ?? null,
          perpVenue: venueFromCode(v.getUint16(at + 46, true)) ?? null,
        };
      }
    }
  }

  private viewOf(data: Uint8Array): DataView {
    if (this.data !== data || this.view === undefined) {
      this.data = data;
      this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    }
    return this.view;
  }

  private need(record: RecordView, signal: SignalName): void {
    const bytes = SIGNAL_PAYLOAD_BYTES[signal];
    if (record.length < bytes) {
      throw new RecordDecodeError(`${signal} record has ${record.length} payload bytes, needs ${bytes}`);
    }
  }

  private venueOf(code: number): VenueId {
    const venue = venueFromCode(code);
    if (venue === undefined) throw new RecordDecodeError(`signal record with unknown venue code ${code}`);
    return venue;
  }

  private symbolOf(id: number): string {
    const text = this.symbols.symbol(id);
    if (text === undefined)
      throw new RecordDecodeError(`signal record refers to symbol id ${id} before its symbol record`);
    return text;
  }
}
