// FeedManager: builds one connector per configured venue, owns them, routes
// the engine's resync requests (output records of type 24) to the right
// connector, and closes every socket and timer on close().
import { BOOK_REASONS, BOOK_RECORD_TYPES } from '../engine/book-records';
import { EventEmitter } from 'node:events';
import { VENUES, isVenueId, venueFromCode, type VenueId } from '../events';
import type { RecordDecoder } from '../engine/records';
import type { RecordView } from '../engine/ring';
import { TokenBucket } from './backoff';
import { BinanceConnector, BinanceFuturesConnector } from './binance';
import { BybitConnector } from './bybit';
import { CoinbaseConnector } from './coinbase';
import { CoinbaseAdvancedConnector } from './coinbase-advanced';
import type { ConnectionInfo, Connector } from './connection';
import { KrakenConnector } from './kraken';
import { OkxConnector } from './okx';
import { parseCanonicalSymbol } from './symbols';
import {
  FEED_CHANNELS,
  emptyCounters,
  silentLogger,
  type ConnectorCounters,
  type ConnectorOptions,
  type FeedChannel,
  type FeedStatusEvent,
  type FrameSink,
  type InstrumentStatus,
  type Logger,
  type VenueConfig,
} from './types';

/** Output record type of a resync request (native/book/records.h kResync): aux = symbol id, flags = reason. */
export const RESYNC_RECORD_TYPE = BOOK_RECORD_TYPES.resync;

export interface FeedManagerConfig {
  venues: Partial<Record<VenueId, VenueConfig>>;
  /** Reconnect storm damping across every connection: burst size and refill per second. */
  reconnect?: { burst?: number; perSecond?: number };
}

export interface FeedManagerOptions {
  sink: FrameSink;
  logger?: Logger;
  onStatus?: (event: FeedStatusEvent) => void;
}

export function createConnector(venue: VenueId, opts: ConnectorOptions): Connector {
  switch (venue) {
    case 'binance':
      return new BinanceConnector(opts);
    case 'binance-futures':
      return new BinanceFuturesConnector(opts);
    case 'coinbase':
      return new CoinbaseConnector(opts);
    case 'coinbase-advanced':
      return new CoinbaseAdvancedConnector(opts);
    case 'kraken':
      return new KrakenConnector(opts);
    case 'bybit':
      return new BybitConnector(opts);
    case 'okx':
      return new OkxConnector(opts);
  }
}

/** The simulator's URLs for a venue below `prefix` (`http://127.0.0.1:PORT`), as in docs/simulator.md. */
export function simulatorVenueUrls(
  prefix: string,
  venue: VenueId,
): Pick<VenueConfig, 'wsUrl' | 'wsUrlPerp' | 'wsUrlPublic' | 'restUrl'> {
  const http = prefix.replace(/\/+$/, '').replace(/^ws(s?):/, 'http$1:');
  const ws = http.replace(/^http(s?):/, 'ws$1:');
  const base = `${ws}/${venue}`;
  const rest = `${http}/${venue}`;
  switch (venue) {
    case 'binance':
      return { wsUrl: `${base}/stream`, restUrl: rest };
    case 'binance-futures':
      // The 2026 layout (`endpoints: 'split'`, the default); `${base}/stream` still serves the legacy one.
      return { wsUrl: `${base}/market/stream`, wsUrlPublic: `${base}/public/stream`, restUrl: rest };
    case 'coinbase':
    case 'coinbase-advanced':
      return { wsUrl: base, restUrl: rest };
    case 'kraken':
      return { wsUrl: `${base}/v2`, restUrl: rest };
    case 'bybit':
      return { wsUrl: `${base}/v5/public/spot`, wsUrlPerp: `${base}/v5/public/linear`, restUrl: rest };
    case 'okx':
      return { wsUrl: `${base}/ws/v5/public`, restUrl: rest };
  }
}

/** Checks a FeedManager config read from JSON; throws with the first problem. */
export function parseFeedConfig(value: unknown): FeedManagerConfig {
  if (typeof value !== 'object' || value === null) throw new Error('config must be a JSON object');
  const venues = (value as { venues?: unknown }).venues;
  if (typeof venues !== 'object' || venues === null || Array.isArray(venues)) {
    throw new Error('config needs "venues": { <venue>: { symbols: [...] } }');
  }
  const out: FeedManagerConfig = { venues: {} };
  for (const [name, raw] of Object.entries(venues as Record<string, unknown>)) {
    if (!isVenueId(name)) throw new Error(`unknown venue '${name}' (known: ${VENUES.join(', ')})`);
    if (typeof raw !== 'object' || raw === null) throw new Error(`venues.${name} must be an object`);
    const v = raw as VenueConfig & Record<string, unknown>;
    if (!Array.isArray(v.symbols) || v.symbols.length === 0 || !v.symbols.every((s) => typeof s === 'string')) {
      throw new Error(`venues.${name}.symbols must be a non-empty list of symbols`);
    }
    for (const s of v.symbols) parseCanonicalSymbol(s);
    if (v.channels !== undefined) {
      if (!Array.isArray(v.channels) || !v.channels.every((c) => (FEED_CHANNELS as readonly unknown[]).includes(c))) {
        throw new Error(`venues.${name}.channels must be a list of ${FEED_CHANNELS.join(', ')}`);
      }
    }
    for (const key of ['wsUrl', 'wsUrlPerp', 'wsUrlPublic', 'restUrl'] as const) {
      if (v[key] !== undefined && typeof v[key] !== 'string')
        throw new Error(`venues.${name}.${key} must be a URL string`);
    }
    if (v.endpoints !== undefined && v.endpoints !== 'split' && v.endpoints !== 'legacy') {
      throw new Error(`venues.${name}.endpoints must be "split" or "legacy"`);
    }
    out.venues[name] = v;
  }
  const rc = (value as { reconnect?: FeedManagerConfig['reconnect'] }).reconnect;
  if (rc !== undefined) out.reconnect = rc;
  return out;
}

export class FeedManager extends EventEmitter {
  private readonly connectors = new Map<VenueId, Connector>();
  private readonly log: Logger;
  private closed = false;

  constructor(
    readonly config: FeedManagerConfig,
    opts: FeedManagerOptions,
  ) {
    super();
    this.log = opts.logger ?? silentLogger;
    const bucket = new TokenBucket(config.reconnect?.burst ?? 10, config.reconnect?.perSecond ?? 2);
    for (const [name, vc] of Object.entries(config.venues)) {
      const venue = name as VenueId;
      if (!vc) continue;
      const connector = createConnector(venue, {
        ...vc,
        channels: vc.channels as FeedChannel[] | undefined,
        sink: opts.sink,
        logger: this.log,
        reconnectBucket: bucket,
        onStatus: (e) => {
          this.emit('status', e);
          opts.onStatus?.(e);
        },
      });
      this.connectors.set(venue, connector);
    }
  }

  async start(): Promise<void> {
    await Promise.all([...this.connectors.values()].map((c) => c.start()));
  }

  connector(venue: VenueId): Connector | undefined {
    return this.connectors.get(venue);
  }

  venues(): VenueId[] {
    return [...this.connectors.keys()];
  }

  /** Routes a resync request to the venue's connector. */
  resync(venue: VenueId, symbol: string, reason: string): Promise<void> {
    const c = this.connectors.get(venue);
    if (!c) {
      this.log.warn({ venue, symbol, reason }, 'resync for a venue without a connector ignored');
      return Promise.resolve();
    }
    return c.resync(symbol, reason);
  }

  /**
   * Looks at one engine output record (after `decoder.decode(record)` has
   * absorbed symbol records): a resync request goes to its connector. Returns
   * true when the record was a resync request.
   */
  handleEngineRecord(record: RecordView, decoder: RecordDecoder): boolean {
    if (record.type !== RESYNC_RECORD_TYPE) return false;
    const venue = venueFromCode(record.venue);
    const symbol = decoder.symbol(record.aux);
    if (venue === undefined || symbol === undefined) {
      this.log.warn({ venue: record.venue, symbolId: record.aux }, 'resync record for an unknown venue or symbol');
      return true;
    }
    void this.resync(venue, symbol, BOOK_REASONS[record.flags & 0xff] ?? `reason ${record.flags}`);
    return true;
  }

  /**
   * Counters and gauges per venue plus their sum (`total`); every field is a
   * number, `CONNECTOR_METRICS` says which are counters and which gauges.
   */
  counters(): Partial<Record<VenueId, ConnectorCounters>> & { total: ConnectorCounters } {
    const total = emptyCounters();
    const out: Partial<Record<VenueId, ConnectorCounters>> & { total: ConnectorCounters } = { total };
    for (const [venue, c] of this.connectors) {
      const k = c.counters();
      out[venue] = k;
      for (const key of Object.keys(total) as Array<keyof ConnectorCounters>) total[key] += k[key];
    }
    return out;
  }

  /** Every instrument of every connector: connection state, resync and backfill counts (for gauges). */
  instrumentStatus(): InstrumentStatus[] {
    return [...this.connectors.values()].flatMap((c) => c.instrumentStatus());
  }

  /** Every connection of every connector. */
  connections(): Array<ConnectionInfo & { venue: VenueId }> {
    return [...this.connectors].flatMap(([venue, c]) => c.connections().map((info) => ({ ...info, venue })));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.connectors.values()].map((c) => c.close()));
  }
}
