// Decoder for the book stage's output records (native/book/records.h,
// docs/records.md "Book stage"): state transitions, resync requests and, with
// the engine's bookVerdicts option, one verdict per book update.
import { venueFromCode, type VenueId } from '../events';
import type { RecordDecoder } from './records';
import type { RecordView } from './ring';

export const BOOK_RECORD_TYPES = { bookStatus: 23, resync: 24, bookVerdict: 25 } as const;

export const BOOK_STATES = ['SYNCING', 'VALID', 'RESYNCING', 'STALE'] as const;
export type BookState = (typeof BOOK_STATES)[number];
export const BOOK_REASONS = [
  'snapshot',
  'gap',
  'checksum_mismatch',
  'crossed',
  'bad_level',
  'stale',
  'resumed',
] as const;
export type BookReason = (typeof BOOK_REASONS)[number];
export const BOOK_VERDICTS = [
  'discard',
  'buffered',
  'apply_first',
  'apply',
  'snapshot',
  'gap',
  'checksum_mismatch',
  'crossed',
  'bad_level',
] as const;
export type BookVerdict = (typeof BOOK_VERDICTS)[number];

export interface BookStatusEvent {
  type: 'book_status';
  venue: VenueId;
  symbol: string;
  state: BookState;
  previous: BookState;
  reason: BookReason;
  ts: number;
}

export interface ResyncEvent {
  type: 'resync';
  venue: VenueId;
  symbol: string;
  reason: BookReason;
  ts: number;
}

export interface TopOfBook {
  bidPx: number;
  bidQty: number;
  askPx: number;
  askQty: number;
}

export interface BookVerdictEvent {
  type: 'book_verdict';
  venue: VenueId;
  symbol: string;
  verdict: BookVerdict;
  state: BookState;
  /** The local book's best levels after the update; null while it has neither side. */
  top: TopOfBook | null;
  ts: number;
}

export type BookStageEvent = BookStatusEvent | ResyncEvent | BookVerdictEvent;

function pick<T>(list: readonly T[], index: number, what: string): T {
  const value = list[index];
  if (value === undefined) throw new RangeError(`unknown ${what} code ${index} in a book record`);
  return value;
}

/** The event a book-stage record carries, or null for any other record type. */
export function decodeBookRecord(record: RecordView, symbols: RecordDecoder): BookStageEvent | null {
  const type = record.type;
  if (type < BOOK_RECORD_TYPES.bookStatus || type > BOOK_RECORD_TYPES.bookVerdict) return null;
  const view = new DataView(record.data.buffer, record.data.byteOffset + record.payloadOffset, record.length);
  const venue = venueFromCode(record.venue) as VenueId;
  const symbol = symbols.symbol(record.aux) ?? `#${record.aux}`;
  const ts = Number(view.getBigInt64(0, true));
  if (type === BOOK_RECORD_TYPES.bookStatus) {
    return {
      type: 'book_status',
      venue,
      symbol,
      state: pick(BOOK_STATES, view.getUint8(8), 'state'),
      previous: pick(BOOK_STATES, view.getUint8(9), 'state'),
      reason: pick(BOOK_REASONS, view.getUint8(10), 'reason'),
      ts,
    };
  }
  if (type === BOOK_RECORD_TYPES.resync) {
    return { type: 'resync', venue, symbol, reason: pick(BOOK_REASONS, view.getUint8(8), 'reason'), ts };
  }
  const flags = record.flags;
  const hasTop = (flags >>> 16) & 3;
  return {
    type: 'book_verdict',
    venue,
    symbol,
    verdict: pick(BOOK_VERDICTS, flags & 0xff, 'verdict'),
    state: pick(BOOK_STATES, (flags >>> 8) & 0xff, 'state'),
    top:
      hasTop === 0
        ? null
        : {
            bidPx: view.getFloat64(8, true),
            bidQty: view.getFloat64(16, true),
            askPx: view.getFloat64(24, true),
            askQty: view.getFloat64(32, true),
          },
    ts,
  };
}
