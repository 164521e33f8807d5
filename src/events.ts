// Canonical market-data events: the JSON form every engine (native and the TS
// reference) produces. docs/events.md explains each field and rule; the native
// fixed-size records that carry the same meaning are in docs/records.md.

/** Venue ids and their numeric codes (the `venue` field of ring records). */
export const VENUES = [
  'binance',
  'binance-futures',
  'coinbase',
  'coinbase-advanced',
  'kraken',
  'bybit',
  'okx',
] as const;
export type VenueId = (typeof VENUES)[number];

/** Numeric venue code used in ring record headers: index in VENUES + 1 (0 = unknown). */
export function venueCode(venue: VenueId): number {
  return VENUES.indexOf(venue) + 1;
}
export function venueFromCode(code: number): VenueId | undefined {
  return VENUES[code - 1];
}
export function isVenueId(value: string): value is VenueId {
  return (VENUES as readonly string[]).includes(value);
}

/**
 * Which market a connection serves, where the frame itself does not say
 * (Bybit sends `BTCUSDT` on both its spot and linear endpoints). Carried in the
 * input record header's `flags` field and in capture records as `market`.
 */
export const MARKETS = ['spot', 'perp'] as const;
export type Market = (typeof MARKETS)[number];
export function marketCode(market: Market | undefined): number {
  return market === 'perp' ? 1 : 0;
}

export type Side = 'buy' | 'sell';
/** [price, quantity] */
export type Level = [number, number];

/** Integer microseconds since the Unix epoch. */
export type Micros = number;

export interface TradeEvent {
  type: 'trade';
  venue: VenueId;
  symbol: string;
  ts: Micros | null;
  recvTs: Micros;
  price: number;
  qty: number;
  /** The aggressor (taker) side. */
  side: Side;
  id: string;
}

export interface BboEvent {
  type: 'bbo';
  venue: VenueId;
  symbol: string;
  ts: Micros | null;
  recvTs: Micros;
  bidPx: number;
  bidQty: number;
  askPx: number;
  askQty: number;
}

export interface BookEvent {
  type: 'book';
  venue: VenueId;
  symbol: string;
  ts: Micros | null;
  recvTs: Micros;
  snapshot: boolean;
  bids: Level[];
  asks: Level[];
  seq?: number;
  prevSeq?: number;
  checksum?: number;
}

export interface DerivativeEvent {
  type: 'derivative';
  venue: VenueId;
  symbol: string;
  ts: Micros | null;
  recvTs: Micros;
  markPx?: number;
  indexPx?: number;
  fundingRate?: number;
  nextFundingTs?: Micros;
}

export const STATUS_KINDS = ['subscribed', 'unsubscribed', 'heartbeat', 'pong', 'venue_error', 'info'] as const;
export type StatusKind = (typeof STATUS_KINDS)[number];

export interface StatusEvent {
  type: 'status';
  venue: VenueId;
  kind: StatusKind;
  detail?: string;
}

/**
 * Why a frame could not be normalized. Both engines must give the same reason
 * for the same frame; the first rule broken, in this order, wins:
 * oversized → invalid_utf8 → malformed_json → unknown_message →
 * missing_field / wrong_type → bad_number / negative_value / bad_timestamp.
 */
export const REJECT_REASONS = [
  'oversized',
  'invalid_utf8',
  'malformed_json',
  'unknown_message',
  'missing_field',
  'wrong_type',
  'bad_number',
  'negative_value',
  'bad_timestamp',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export interface RejectEvent {
  type: 'reject';
  venue: VenueId;
  reason: RejectReason;
  /** The first REJECT_SAMPLE_BYTES bytes of the frame, decoded as UTF-8 with U+FFFD for invalid sequences. */
  sample: string;
}

export const REJECT_SAMPLE_BYTES = 96;
/** Frames larger than this are rejected as `oversized` unless configured otherwise. */
export const DEFAULT_MAX_FRAME_BYTES = 4 * 1024 * 1024;

export type CanonicalEvent = TradeEvent | BboEvent | BookEvent | DerivativeEvent | StatusEvent | RejectEvent;
