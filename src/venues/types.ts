// Shared types of the venue connectors (docs/connectors.md): configuration,
// feed-status events, counters, and the sink frames are copied into.
import type { Market, VenueId } from '../events';
import type { RecordMeta } from '../engine/ring';
import type { TokenBucket } from './backoff';

/** Canonical channel names; each connector maps them to its venue's streams. */
export const FEED_CHANNELS = ['trades', 'book', 'bbo', 'mark'] as const;
export type FeedChannel = (typeof FEED_CHANNELS)[number];

export const FEED_STATES = ['connecting', 'open', 'subscribed', 'stale', 'reconnecting', 'closed'] as const;
export type FeedState = (typeof FEED_STATES)[number];

/**
 * A connection (or, with `symbol`, one instrument of it) changed state.
 * `ts` is µs since the epoch.
 */
export interface FeedStatusEvent {
  type: 'feed_status';
  venue: VenueId;
  connection: number;
  state: FeedState;
  reason?: string;
  /** Set when the event concerns one instrument (resync, ring drop). */
  symbol?: string;
  ts: number;
}

/**
 * Plain numbers for metrics, per connector: counters (monotonic) and gauges
 * (`connectionsOpen`, `connectionsSubscribed`, `instruments`,
 * `resyncsPending`). `CONNECTOR_METRICS` says which is which, with help text.
 */
export interface ConnectorCounters {
  frames: number;
  bytes: number;
  /** Frames refused by a full ring. */
  drops: number;
  reconnects: number;
  resyncs: number;
  /** Trades written with flag 0x100 (REST backfill, or the new part of a subscription replay). */
  backfilledTrades: number;
  /** Frames dropped as duplicates while two connections overlapped, or as replays after a reconnect. */
  duplicates: number;
  /** Connections declared dead for silence. */
  stale: number;
  /** Planned make-before-break rotations (notice or max age). */
  rotations: number;
  /** REST requests retried after 429 / 5xx / network errors. */
  restRetries: number;
  /** Gauge: connections open now. */
  connectionsOpen: number;
  /** Trade-id gaps found after reconnects. */
  backfillGaps: number;
  /** Gaps that could not be filled completely (REST history too short, REST failed, no REST endpoint). */
  backfillGapsUnfilled: number;
  /** Trades of those gaps that are missing for good. */
  backfillTradesUnfilled: number;
  /** REST requests sent (each attempt). */
  restRequests: number;
  /** REST requests that failed for good (after the retries, or a 4xx). */
  restErrors: number;
  /** Gauge: connections with every subscription acknowledged. */
  connectionsSubscribed: number;
  /** Gauge: instruments served. */
  instruments: number;
  /** Gauge: book resyncs queued or running. */
  resyncsPending: number;
}

export type MetricKind = 'counter' | 'gauge';

/** Every `ConnectorCounters` field: counter or gauge, and a help line (for a Prometheus exporter). */
export const CONNECTOR_METRICS: Readonly<Record<keyof ConnectorCounters, { kind: MetricKind; help: string }>> = {
  frames: { kind: 'counter', help: 'Frames written to the input ring' },
  bytes: { kind: 'counter', help: 'Bytes of frames written to the input ring' },
  drops: { kind: 'counter', help: 'Frames dropped because the input ring was full' },
  reconnects: { kind: 'counter', help: 'Unplanned reconnects' },
  resyncs: { kind: 'counter', help: 'Book resyncs (REST snapshot or resubscribe)' },
  backfilledTrades: { kind: 'counter', help: 'Trades recovered after a reconnect, written with flag 0x100' },
  duplicates: { kind: 'counter', help: 'Frames dropped as duplicates (overlap or replay)' },
  stale: { kind: 'counter', help: 'Connections declared dead for silence' },
  rotations: { kind: 'counter', help: 'Planned make-before-break connection rotations' },
  restRetries: { kind: 'counter', help: 'REST requests retried' },
  connectionsOpen: { kind: 'gauge', help: 'WebSocket connections open' },
  backfillGaps: { kind: 'counter', help: 'Trade-id gaps found after reconnects' },
  backfillGapsUnfilled: { kind: 'counter', help: 'Trade-id gaps that could not be filled completely' },
  backfillTradesUnfilled: { kind: 'counter', help: 'Trades of gaps that could not be recovered' },
  restRequests: { kind: 'counter', help: 'REST requests sent (attempts)' },
  restErrors: { kind: 'counter', help: 'REST requests that failed for good' },
  connectionsSubscribed: { kind: 'gauge', help: 'WebSocket connections with all subscriptions acknowledged' },
  instruments: { kind: 'gauge', help: 'Instruments served' },
  resyncsPending: { kind: 'gauge', help: 'Book resyncs queued or running' },
};

/** A zeroed `ConnectorCounters`. */
export function emptyCounters(): ConnectorCounters {
  const out = {} as ConnectorCounters;
  for (const k of Object.keys(CONNECTOR_METRICS) as Array<keyof ConnectorCounters>) out[k] = 0;
  return out;
}

/** One instrument of a connector, for gauges (`Connector.instrumentStatus()`, `FeedManager.instrumentStatus()`). */
export interface InstrumentStatus {
  venue: VenueId;
  /** Canonical symbol. */
  symbol: string;
  venueSymbol: string;
  market: Market;
  /**
   * The worst state of the connections carrying its streams, or `stale` while
   * a ring-full drop awaits its resync (`closed` once the connector is closed).
   */
  state: FeedState;
  /** A book resync is queued or running. */
  resyncPending: boolean;
  resyncs: number;
  backfilledTrades: number;
  backfillGaps: number;
  backfillTradesUnfilled: number;
  /** `ts` (µs) of the last instrument-level status event, 0 = none yet. */
  lastEventTs: number;
  lastReason?: string;
}

/** Where frames go: a RingWriter, or anything with its `write`. */
export interface FrameSink {
  write(meta: RecordMeta, payload: Uint8Array): boolean;
}

/** pino-compatible subset. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** One tradable instrument with both spellings. */
export interface Instrument {
  /** `BTC-USDT` / `BTC-USDT-PERP`. */
  canonical: string;
  /** As the venue writes it on the wire (`BTCUSDT`, `BTC/USDT`, `BTC-USDT-SWAP`). */
  venueSymbol: string;
  base: string;
  quote: string;
  market: Market;
}

export interface VenueLimits {
  /** Streams (topics) per WebSocket connection. */
  streamsPerConnection: number;
  /** Arguments per subscribe / unsubscribe request. */
  argsPerRequest: number;
  /** Outgoing messages per second per connection. */
  requestsPerSecond: number;
}

export interface KeepAliveOptions {
  /** No frame for this long → the connection is dead and replaced. */
  staleMs: number;
  /** Send the venue's app-level probe after this much silence (0 = never). */
  probeIdleMs: number;
  /** Send the venue's app-level ping at this fixed interval regardless of traffic (0 = never; Bybit 20 s). */
  pingIntervalMs: number;
}

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** A connection open this long resets the attempt counter. */
  stableMs: number;
}

export interface RestOptions {
  /** Attempts per request, including the first. */
  attempts: number;
  baseMs: number;
  maxMs: number;
  timeoutMs: number;
  /** Minimum spacing of REST requests of one connector. */
  minIntervalMs: number;
}

/** Per-venue configuration, as in the FeedManager config. */
export interface VenueConfig {
  symbols: string[];
  channels?: FeedChannel[];
  /** WebSocket URL (spot / the only endpoint). */
  wsUrl?: string;
  /** WebSocket URL for perpetuals where the venue splits them (Bybit linear). */
  wsUrlPerp?: string;
  /**
   * Binance futures, `endpoints: 'split'` only: the URL of the `/public`
   * endpoint (depth, bookTicker); `wsUrl` is then the `/market` one (trade,
   * markPrice). Default: derived from `wsUrl` (`/market/` → `/public/`).
   */
  wsUrlPublic?: string;
  /**
   * Binance futures WebSocket layout: `split` (default; the 2026 layout with
   * `/public` and `/market` endpoints, one connection set each) or `legacy`
   * (every stream on `wsUrl`, default `wss://fstream.binance.com/stream`).
   */
  endpoints?: 'split' | 'legacy';
  /** REST base URL (scheme + host [+ venue prefix]), without the API path. */
  restUrl?: string;
  limits?: Partial<VenueLimits>;
  keepAlive?: Partial<KeepAliveOptions>;
  backoff?: Partial<BackoffOptions>;
  rest?: Partial<RestOptions>;
  /** Planned rotation after this connection age (Binance: 24 h limit). */
  maxConnectionAgeMs?: number;
  /** How long two connections overlap in a make-before-break. */
  overlapMs?: number;
  /** Fill trade-id gaps after a reconnect from REST (where the venue has sequential ids). */
  backfill?: boolean;
  /** Book depth where the venue asks for one (Kraken 10, Bybit 50). */
  bookDepth?: number;
  /** Skip the REST metadata request and use these instruments. */
  instruments?: Instrument[];
}

export interface ConnectorOptions extends VenueConfig {
  sink: FrameSink;
  logger?: Logger;
  onStatus?: (event: FeedStatusEvent) => void;
  /** Shared reconnect limiter (storm damping across connections). */
  reconnectBucket?: TokenBucket;
}

/** Ring header `flags` bit of frames written from REST backfill (docs/ring.md). */
export const FLAG_BACKFILLED = 0x100;
