// Decoder for the normalize pipeline's output records (docs/records.md; the
// native side is native/normalize/records.h). Reads each record in place
// through a DataView over the ring and builds the CanonicalEvent objects of
// src/events.ts. Symbol records are absorbed into the decoder's id -> text table.
import {
  REJECT_REASONS,
  STATUS_KINDS,
  venueFromCode,
  type BboEvent,
  type BookEvent,
  type CanonicalEvent,
  type DerivativeEvent,
  type Level,
  type RejectEvent,
  type StatusEvent,
  type TradeEvent,
  type VenueId,
} from '../events';
import type { RecordView } from './ring';

/** Record type tags (ring header `type`). 1 … 15 are input types; outputs start at 16. */
export const RECORD_TYPES = {
  frame: 1,
  symbol: 16,
  trade: 17,
  bbo: 18,
  book: 19,
  derivative: 20,
  status: 21,
  reject: 22,
} as const;

/** Input record type of a raw venue frame. */
export const FRAME_RECORD_TYPE = RECORD_TYPES.frame;

export const TRADE_SELL = 1 << 0;
export const BOOK_SNAPSHOT = 1 << 0;
export const BOOK_HAS_SEQ = 1 << 1;
export const BOOK_HAS_PREV_SEQ = 1 << 2;
export const BOOK_HAS_CHECKSUM = 1 << 3;
export const DERIV_MARK = 1 << 0;
export const DERIV_INDEX = 1 << 1;
export const DERIV_FUNDING = 1 << 2;
export const DERIV_NEXT_FUNDING = 1 << 3;
export const STATUS_HAS_DETAIL = 1 << 0;

export const TRADE_PAYLOAD_BYTES = 96;
export const BBO_PAYLOAD_BYTES = 40;
export const BOOK_HEADER_BYTES = 40;
export const BOOK_LEVEL_BYTES = 16;
export const DERIVATIVE_PAYLOAD_BYTES = 40;
/** Status header; the detail text (variable length) follows it. */
export const STATUS_HEADER_BYTES = 8;
export const REJECT_PAYLOAD_BYTES = 104;

export class RecordDecodeError extends Error {
  readonly code = 'ERR_TICKWIRE_RECORD';
  constructor(message: string) {
    super(message);
    this.name = 'RecordDecodeError';
  }
}

const TWO_32 = 4294967296;
const NULL_TS_HI = -0x80000000;
const utf8 = new TextDecoder('utf-8', { fatal: false });

export class RecordDecoder {
  private readonly symbols: string[] = [];
  private data: Uint8Array | undefined;
  private view: DataView | undefined;

  /** The text of an interned symbol id, once its symbol record has been decoded. */
  symbol(id: number): string | undefined {
    return this.symbols[id];
  }

  /** The canonical event a record carries; null for symbol records (absorbed) and unknown types. */
  decode(record: RecordView): CanonicalEvent | null {
    const view = this.viewOf(record.data);
    const at = record.payloadOffset;
    const venue = venueFromCode(record.venue) as VenueId;
    switch (record.type) {
      case RECORD_TYPES.symbol:
        this.symbols[record.aux] = this.text(record.data, at, record.length);
        return null;
      case RECORD_TYPES.trade: {
        this.need(record, TRADE_PAYLOAD_BYTES);
        const idLength = view.getUint32(at + 24, true);
        if (idLength > 64) throw new RecordDecodeError(`trade id length ${idLength} exceeds 64`);
        const event: TradeEvent = {
          type: 'trade',
          venue,
          symbol: this.symbolOf(record.aux),
          ts: readTs(view, at),
          recvTs: recvMicros(record),
          price: view.getFloat64(at + 8, true),
          qty: view.getFloat64(at + 16, true),
          side: (record.flags & TRADE_SELL) !== 0 ? 'sell' : 'buy',
          id: this.text(record.data, at + 32, idLength),
        };
        return event;
      }
      case RECORD_TYPES.bbo: {
        this.need(record, BBO_PAYLOAD_BYTES);
        const event: BboEvent = {
          type: 'bbo',
          venue,
          symbol: this.symbolOf(record.aux),
          ts: readTs(view, at),
          recvTs: recvMicros(record),
          bidPx: view.getFloat64(at + 8, true),
          bidQty: view.getFloat64(at + 16, true),
          askPx: view.getFloat64(at + 24, true),
          askQty: view.getFloat64(at + 32, true),
        };
        return event;
      }
      case RECORD_TYPES.book: {
        this.need(record, BOOK_HEADER_BYTES);
        const bidCount = view.getUint32(at + 32, true);
        const askCount = view.getUint32(at + 36, true);
        this.need(record, BOOK_HEADER_BYTES + (bidCount + askCount) * BOOK_LEVEL_BYTES);
        const flags = record.flags;
        let p = at + BOOK_HEADER_BYTES;
        const bids: Level[] = new Array(bidCount);
        for (let i = 0; i < bidCount; i++, p += BOOK_LEVEL_BYTES) {
          bids[i] = [view.getFloat64(p, true), view.getFloat64(p + 8, true)];
        }
        const asks: Level[] = new Array(askCount);
        for (let i = 0; i < askCount; i++, p += BOOK_LEVEL_BYTES) {
          asks[i] = [view.getFloat64(p, true), view.getFloat64(p + 8, true)];
        }
        const event: BookEvent = {
          type: 'book',
          venue,
          symbol: this.symbolOf(record.aux),
          ts: readTs(view, at),
          recvTs: recvMicros(record),
          snapshot: (flags & BOOK_SNAPSHOT) !== 0,
          bids,
          asks,
        };
        if (flags & BOOK_HAS_SEQ) event.seq = readI64(view, at + 8);
        if (flags & BOOK_HAS_PREV_SEQ) event.prevSeq = readI64(view, at + 16);
        if (flags & BOOK_HAS_CHECKSUM) event.checksum = readI64(view, at + 24);
        return event;
      }
      case RECORD_TYPES.derivative: {
        this.need(record, DERIVATIVE_PAYLOAD_BYTES);
        const flags = record.flags;
        const event: DerivativeEvent = {
          type: 'derivative',
          venue,
          symbol: this.symbolOf(record.aux),
          ts: readTs(view, at),
          recvTs: recvMicros(record),
        };
        if (flags & DERIV_MARK) event.markPx = view.getFloat64(at + 8, true);
        if (flags & DERIV_INDEX) event.indexPx = view.getFloat64(at + 16, true);
        if (flags & DERIV_FUNDING) event.fundingRate = view.getFloat64(at + 24, true);
        if (flags & DERIV_NEXT_FUNDING) event.nextFundingTs = readI64(view, at + 32);
        return event;
      }
      case RECORD_TYPES.status: {
        this.need(record, STATUS_HEADER_BYTES);
        const kind = STATUS_KINDS[record.aux];
        if (kind === undefined) throw new RecordDecodeError(`unknown status kind ${record.aux}`);
        const event: StatusEvent = { type: 'status', venue, kind };
        if (record.flags & STATUS_HAS_DETAIL) {
          const length = view.getUint32(at, true);
          this.need(record, STATUS_HEADER_BYTES + length);
          event.detail = this.text(record.data, at + STATUS_HEADER_BYTES, length);
        }
        return event;
      }
      case RECORD_TYPES.reject: {
        this.need(record, REJECT_PAYLOAD_BYTES);
        const reason = REJECT_REASONS[record.aux];
        if (reason === undefined) throw new RecordDecodeError(`unknown reject reason ${record.aux}`);
        const sampleLength = Math.min(view.getUint32(at + 4, true), 96);
        const event: RejectEvent = {
          type: 'reject',
          venue,
          reason,
          sample: utf8.decode(record.data.subarray(at + 8, at + 8 + sampleLength)),
        };
        return event;
      }
      default:
        return null;
    }
  }

  private viewOf(data: Uint8Array): DataView {
    if (this.data !== data || this.view === undefined) {
      this.data = data;
      this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    }
    return this.view;
  }

  private symbolOf(id: number): string {
    const text = this.symbols[id];
    if (text === undefined) throw new RecordDecodeError(`record refers to symbol id ${id} before its symbol record`);
    return text;
  }

  private need(record: RecordView, bytes: number): void {
    if (record.length < bytes) {
      throw new RecordDecodeError(`record type ${record.type} has ${record.length} payload bytes, needs ${bytes}`);
    }
  }

  /** UTF-8 text; ASCII (every symbol and id in practice) without TextDecoder. */
  private text(data: Uint8Array, at: number, length: number): string {
    let ascii = '';
    for (let i = 0; i < length; i++) {
      const c = data[at + i]!;
      if (c >= 0x80) return utf8.decode(data.subarray(at, at + length));
      ascii += String.fromCharCode(c);
    }
    return ascii;
  }
}

/** i64 µs with INT64_MIN meaning null. Exact for |value| < 2^53. */
function readTs(view: DataView, at: number): number | null {
  const lo = view.getUint32(at, true);
  const hi = view.getInt32(at + 4, true);
  if (hi === NULL_TS_HI && lo === 0) return null;
  return hi * TWO_32 + lo;
}

function readI64(view: DataView, at: number): number {
  return view.getInt32(at + 4, true) * TWO_32 + view.getUint32(at, true);
}

/** floor(recvNs / 1000) from the header's two u32 halves, exactly, without a bigint. */
export function recvMicros(record: RecordView): number {
  const hi = record.recvNsHi >>> 0;
  const lo = record.recvNsLo >>> 0;
  const hiQ = Math.floor(hi / 1000);
  const hiR = hi - hiQ * 1000;
  // recvNs = hiQ * 1000 * 2^32 + (hiR * 2^32 + lo); the second term is < 1000 * 2^32.
  return hiQ * TWO_32 + Math.floor((hiR * TWO_32 + lo) / 1000);
}
