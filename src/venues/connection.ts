// The venue-independent half of every connector: WebSocket connections and
// their lifecycle (subscribe, keep-alive, stale detection, reconnect with
// backoff, make-before-break rotation with overlap dedup), the hot path that
// copies frames into the input ring, resync requests and trade backfill.
// A venue file supplies the protocol: URLs, subscribe messages, control-frame
// recognition, and where ids / sequences sit in its frames.
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { marketCode, venueCode, type Market, type VenueId } from '../events';
import { FRAME_RECORD_TYPE } from '../engine/records';
import type { RecordMeta } from '../engine/ring';
import { AbortError, SendQueue, TokenBucket, backoffDelay, sleep } from './backoff';
import { frameHash } from './bytes';
import { DEFAULT_REST, RestClient } from './rest';
import { SymbolMap, derivedInstruments, parseCanonicalSymbol, selectInstruments } from './symbols';
import {
  FLAG_BACKFILLED,
  emptyCounters,
  silentLogger,
  type BackoffOptions,
  type ConnectorCounters,
  type ConnectorOptions,
  type FeedChannel,
  type FeedState,
  type FeedStatusEvent,
  type FrameSink,
  type Instrument,
  type InstrumentStatus,
  type KeepAliveOptions,
  type Logger,
  type RestOptions,
  type VenueLimits,
} from './types';

// ---- Clock: monotonic, anchored to the epoch once.
const EPOCH_AT_HR_ZERO =
  BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6)) - process.hrtime.bigint();
/** Receive time in ns since the epoch from the monotonic clock. */
export function nowNs(): bigint {
  return EPOCH_AT_HR_ZERO + process.hrtime.bigint();
}
export function nowUs(): number {
  return Number(nowNs() / 1000n);
}

let nextConnectionId = 1;

/** One venue stream / topic of one instrument. */
export interface Topic {
  /** The venue's name for it, unique within a connector (`btcusdt@trade`, `books:BTC-USDT`). */
  name: string;
  channel: FeedChannel | 'heartbeat';
  instrument: Instrument | null;
  market: Market;
  /**
   * Which of the venue's WebSocket endpoints serves it, where one market has
   * several (Binance futures `public` / `market`); topics of different
   * endpoints never share a connection. Undefined = the market's only one.
   */
  endpoint?: string;
}

export interface SubscribeRequest {
  text: string;
  /** Acknowledgements the venue sends for it. */
  acks: number;
}

export type ControlKind = 'ack' | 'error' | 'shutdown' | null;

/** `overlapKey` result for a subscription snapshot: forwarded from the primary connection only. */
export const SNAPSHOT = 0;
export type OverlapKey = string | typeof SNAPSHOT | null;

/** Trade ids of a trade frame (venue symbol; first and last id in the frame). */
export interface TradeIds {
  symbol: string;
  first: number;
  last: number;
  /** Time of the trade with the `last` id (epoch ms), where the venue's REST history is searched by time (Kraken). */
  lastMs?: number;
  /**
   * The frame replays trades made before it was sent (a subscription snapshot,
   * Coinbase Advanced `market_trades`): right after a reconnect it is passed
   * to `tradesAfter` instead of being forwarded as is.
   */
  replay?: boolean;
}

/** Where the trades seen last before a lost connection stopped. */
export interface TradeMark {
  id: number;
  /** Epoch ms of that trade, when the venue's frames tell it (`TradeIds.lastMs`). */
  ms?: number;
}

/** What `fetchBackfill` knows about the gap besides its ids. */
export interface BackfillContext {
  /** Epoch ms of the last trade seen before the gap (`TradeIds.lastMs`), if known. */
  afterMs?: number;
}

export interface Backfill {
  /** Frames to write (flag 0x100), in trade-id order. */
  frames: string[];
  trades: number;
  /** The REST reply reached back to the last id seen before the gap. */
  complete: boolean;
}

/** The new part of a replayed trade frame (`tradesAfter`). */
export interface ReplayPart {
  /** A frame in the venue's own format with only the trades whose id is above the last one seen. */
  text: string;
  trades: number;
}

export interface VenueDefaults {
  wsUrl: string;
  wsUrlPerp?: string;
  restUrl: string;
  channels: FeedChannel[];
  limits: VenueLimits;
  keepAlive: KeepAliveOptions;
  maxConnectionAgeMs: number;
}

const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 30_000, stableMs: 10_000 };
/** Forwarded frames remembered per connection to find the last trade ids when it is lost. */
const RETAIN = 4096;
const RETAIN_MASK = RETAIN - 1;
const TRADE_WATCH_MS = 30_000;
const OVERLAP_SET_MAX = 65_536;
/** Frames of the old connection whose keys seed an overlap. */
const OVERLAP_SEED = 512;

class FeedConnection {
  readonly id = nextConnectionId++;
  state: FeedState = 'connecting';
  ws: WebSocket | undefined;
  openedAt = 0;
  /** Set by the hot path, turned into a time by the timer (no clock read per frame). */
  rx = false;
  lastRxAt = Date.now();
  lastProbeAt = 0;
  lastPingAt = Date.now();
  acksExpected = 0;
  acksSeen = 0;
  subscribed = false;
  retiring = false;
  lossReason: string | undefined;
  lastError: string | undefined;
  readonly meta: RecordMeta;
  readonly timers = new Set<NodeJS.Timeout>();
  sendQueue: SendQueue | undefined;
  retained: Buffer[] | null;
  retainedAt = 0;
  tradeWatch: Map<string, TradeMark> | null = null;
  tradeWatchUntil = 0;
  /** Coinbase Advanced: last `sequence_num`. */
  lastSeqNum = -1;
  url = '';

  constructor(
    readonly slot: Slot,
    venue: number,
  ) {
    this.meta = { type: FRAME_RECORD_TYPE, venue, aux: this.id, flags: marketCode(slot.market), recvNs: 0n };
    // References only (no copy): scanned when the connection is lost or rotated, never per frame.
    this.retained = new Array<Buffer>(RETAIN);
  }

  clearTimers(): void {
    for (const t of this.timers) {
      clearTimeout(t);
      clearInterval(t);
    }
    this.timers.clear();
    this.sendQueue?.clear();
  }
}

/** A set of topics served by one connection at a time (two during a rotation). */
class Slot {
  conns: FeedConnection[] = [];
  primary: FeedConnection | undefined;
  attempt = 0;
  reconnectPending = false;
  /** Overlap dedup: keys of frames already forwarded while two connections are open. */
  seen: Set<string> | null = null;
  lastTradeIds = new Map<string, TradeMark>();

  constructor(
    readonly index: number,
    readonly market: Market,
    readonly topics: Topic[],
    readonly endpoint: string | undefined,
  ) {}
}

/** Per-instrument counters and the last instrument-level state (`instrumentStatus()`). */
interface InstrumentStats {
  resyncs: number;
  backfilledTrades: number;
  backfillGaps: number;
  backfillTradesUnfilled: number;
  /** State of the last instrument-level status event (a ring-full `stale`, a resync's `subscribed`). */
  state: FeedState | undefined;
  reason: string | undefined;
  ts: number;
}

/** Worse states sort higher (an instrument is as bad as the worst connection carrying it). */
const STATE_RANK: Record<FeedState, number> = {
  subscribed: 0,
  open: 1,
  connecting: 2,
  reconnecting: 3,
  stale: 4,
  closed: 5,
};

export interface ConnectionInfo {
  id: number;
  market: Market;
  /** The venue endpoint where a market has several (Binance futures `public` / `market`). */
  endpoint?: string;
  url: string;
  state: FeedState;
  primary: boolean;
  topics: string[];
  /** Epoch ms when the socket opened (0 = not yet). */
  openedAt: number;
}

export abstract class Connector extends EventEmitter {
  abstract readonly venue: VenueId;
  protected readonly opts: ConnectorOptions;
  protected readonly log: Logger;
  protected readonly sink: FrameSink;
  protected symbols = new SymbolMap([]);
  protected readonly rest: RestClient;
  protected readonly abort = new AbortController();
  private readonly stats: ConnectorCounters = emptyCounters();
  private readonly instStats = new Map<string, InstrumentStats>();
  private slots: Slot[] = [];
  private closing = false;
  private started = false;
  private readonly bucket: TokenBucket;
  private resyncChain: Promise<void> = Promise.resolve();
  private readonly resyncPending = new Map<string, Promise<void>>();
  private resyncRunning: string | undefined;
  private backfillChain: Promise<void> = Promise.resolve();
  private dropLog = { at: 0, count: 0 };
  private readonly ringFullResyncAt = new Map<string, number>();
  /** Per-frame check some venues need on every frame (Coinbase Advanced sequence_num); null = none. */
  protected frameCheck: ((conn: FeedConnection, frame: Buffer) => void) | null = null;

  constructor(opts: ConnectorOptions) {
    super();
    this.opts = opts;
    this.sink = opts.sink;
    this.log = opts.logger ?? silentLogger;
    this.bucket = opts.reconnectBucket ?? new TokenBucket();
    const restOpts: RestOptions = { ...DEFAULT_REST, ...opts.rest };
    this.rest = new RestClient(restOpts, this.abort.signal, (url, why, delayMs) => {
      this.stats.restRetries++;
      this.log.warn({ venue: this.venueName(), url, why, delayMs }, 'REST request retried');
    });
  }

  private venueName(): string {
    // `venue` is a subclass field, not yet set while the base constructor runs.
    return (this as { venue?: string }).venue ?? 'unknown';
  }

  // ---- The venue protocol (implemented per venue).
  protected abstract defaults(): VenueDefaults;
  /** Venue topics for one instrument and canonical channel ([] if the venue has none). */
  protected abstract topicsFor(inst: Instrument, channel: FeedChannel): Topic[];
  /** Subscribe / unsubscribe messages for `topics`, chunked by the request limits. */
  protected abstract requests(topics: Topic[], op: 'subscribe' | 'unsubscribe'): SubscribeRequest[];
  /** Cheap recognition of acks, errors and planned-disconnect notices (prefix compares). */
  protected abstract inspect(frame: Buffer): ControlKind;
  /** Dedup identity of a frame during an overlap: `stream|id`, SNAPSHOT, or null (whole-frame hash). */
  protected abstract overlapKey(frame: Buffer): OverlapKey;
  /** The venue's instrument list (REST, at start). */
  protected abstract listInstruments(): Promise<Instrument[]>;
  /** App-level liveness probe sent after `probeIdleMs` of silence. */
  protected probeMessage(): string | null {
    return null;
  }
  /** App-level ping sent every `pingIntervalMs` regardless of traffic. */
  protected pingMessage(): string | null {
    return null;
  }
  /** Extra topics a connection always carries (heartbeat channels). */
  protected connectionTopics(topics: Topic[]): Topic[] {
    return topics;
  }
  /** Trade ids in a trade frame (only venues with sequential ids; used after reconnects, never on the hot path). */
  protected tradeIds(_frame: Buffer): TradeIds | null {
    return null;
  }
  /** Trades with afterId < id < beforeId from REST, as frames (null: the venue has no REST trades endpoint). */
  protected async fetchBackfill(
    _inst: Instrument,
    _afterId: number,
    _beforeId: number,
    _ctx: BackfillContext,
  ): Promise<Backfill | null> {
    return null;
  }
  /**
   * A replayed trade frame (`TradeIds.replay`, or one that repeats ids already
   * seen) right after a reconnect: the same frame with only the trades whose
   * id is above `afterId`, written with flag 0x100. Null: forward it as is.
   */
  protected tradesAfter(_frame: Buffer, _afterId: number): ReplayPart | null {
    return null;
  }
  /** A REST book snapshot frame for `inst`, or null when the venue resyncs by resubscribing. */
  protected async fetchSnapshot(_inst: Instrument): Promise<string | null> {
    return null;
  }
  /** Called when a connection has all its acks (fresh connect or reconnect, not a rotation successor). */
  protected afterSubscribed(_topics: Topic[]): void {}

  // ---- Configuration helpers for venues.
  protected get limits(): VenueLimits {
    return { ...this.defaults().limits, ...this.opts.limits };
  }
  protected get keepAlive(): KeepAliveOptions {
    return { ...this.defaults().keepAlive, ...this.opts.keepAlive };
  }
  protected get restBase(): string {
    return (this.opts.restUrl ?? this.defaults().restUrl).replace(/\/+$/, '');
  }
  /** The WebSocket URL of a connection for `market` (and `endpoint`, where a venue has several). */
  protected wsUrl(market: Market, _endpoint?: string): string {
    const d = this.defaults();
    if (market === 'perp' && (this.opts.wsUrlPerp ?? d.wsUrlPerp)) return (this.opts.wsUrlPerp ?? d.wsUrlPerp)!;
    return this.opts.wsUrl ?? d.wsUrl;
  }
  protected get bookDepth(): number | undefined {
    return this.opts.bookDepth;
  }
  /** Splits `items` into chunks of at most `n`. */
  protected chunk<T>(items: readonly T[], n: number): T[][] {
    const out: T[][] = [];
    const size = Math.max(1, n);
    for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
    return out;
  }
  /** The configured symbols, as the venue expects them (binance-futures adds -PERP). */
  protected wantedSymbols(): string[] {
    return this.opts.symbols.map((s) => parseCanonicalSymbol(s).canonical);
  }

  // ---- Public API.

  /** Fetches instrument metadata and opens the connections. */
  async start(): Promise<void> {
    if (this.started) throw new Error(`${this.venue} connector already started`);
    this.started = true;
    const wanted = this.wantedSymbols();
    let instruments: Instrument[];
    if (this.opts.instruments) {
      instruments = selectInstruments(this.opts.instruments, wanted).instruments;
    } else {
      try {
        const listed = await this.listInstruments();
        const sel = selectInstruments(listed, wanted);
        if (sel.missing.length > 0) {
          this.log.warn({ venue: this.venue, missing: sel.missing }, 'symbols not listed by the venue: skipped');
        }
        instruments = sel.instruments;
      } catch (err) {
        if (err instanceof AbortError || this.closing) return;
        this.log.warn(
          { venue: this.venue, err: err instanceof Error ? err.message : String(err) },
          'instrument metadata unavailable: using derived symbol spellings',
        );
        instruments = derivedInstruments(this.venue, wanted);
      }
    }
    if (this.closing) return;
    this.symbols = new SymbolMap(instruments);
    const channels = this.opts.channels ?? this.defaults().channels;
    // One connection set per market and endpoint.
    const groups = new Map<string, { market: Market; endpoint: string | undefined; topics: Topic[] }>();
    const names = new Set<string>();
    for (const inst of instruments) {
      this.instStats.set(inst.canonical, {
        resyncs: 0,
        backfilledTrades: 0,
        backfillGaps: 0,
        backfillTradesUnfilled: 0,
        state: undefined,
        reason: undefined,
        ts: 0,
      });
      for (const ch of channels) {
        for (const t of this.topicsFor(inst, ch)) {
          const key = `${t.market}|${t.name}`;
          if (names.has(key)) continue;
          names.add(key);
          const g = `${t.market}|${t.endpoint ?? ''}`;
          let group = groups.get(g);
          if (!group) groups.set(g, (group = { market: t.market, endpoint: t.endpoint, topics: [] }));
          group.topics.push(t);
        }
      }
    }
    const perConn = this.limits.streamsPerConnection;
    for (const { market, endpoint, topics } of groups.values()) {
      for (const part of this.chunk(topics, perConn)) {
        this.slots.push(new Slot(this.slots.length, market, this.connectionTopics(part), endpoint));
      }
    }
    if (this.slots.length === 0) this.log.warn({ venue: this.venue }, 'nothing to subscribe');
    for (const slot of this.slots) this.connectSlot(slot, 0);
  }

  /** The instruments this connector serves (after start). */
  instruments(): Instrument[] {
    return this.symbols.all();
  }

  /** Counters and gauges (plain numbers; `CONNECTOR_METRICS` tells which is which). */
  counters(): ConnectorCounters {
    let subscribed = 0;
    for (const s of this.slots) for (const c of s.conns) if (c.state === 'subscribed') subscribed++;
    return {
      ...this.stats,
      restRetries: this.rest.retries,
      restRequests: this.rest.requests,
      restErrors: this.rest.errors,
      connectionsSubscribed: subscribed,
      instruments: this.symbols.all().length,
      resyncsPending: this.resyncPending.size + (this.resyncRunning ? 1 : 0),
    };
  }

  connections(): ConnectionInfo[] {
    const out: ConnectionInfo[] = [];
    for (const s of this.slots) {
      for (const c of s.conns) {
        const info: ConnectionInfo = {
          id: c.id,
          market: s.market,
          url: c.url,
          state: c.state,
          primary: s.primary === c,
          topics: s.topics.map((t) => t.name),
          openedAt: c.openedAt,
        };
        if (s.endpoint !== undefined) info.endpoint = s.endpoint;
        out.push(info);
      }
    }
    return out;
  }

  /** Per instrument: the state of the connections carrying it, resync and backfill counts (gauges). */
  instrumentStatus(): InstrumentStatus[] {
    const out: InstrumentStatus[] = [];
    for (const inst of this.symbols.all()) {
      const st = this.instStats.get(inst.canonical);
      let state: FeedState = 'closed';
      let rank = -1;
      if (!this.closing) {
        for (const s of this.slots) {
          if (!s.topics.some((t) => t.instrument === inst)) continue;
          const cs: FeedState = s.primary?.state ?? 'reconnecting';
          if (STATE_RANK[cs] > rank) {
            rank = STATE_RANK[cs];
            state = cs;
          }
        }
        if (rank < 0) state = 'closed';
        if (st?.state === 'stale' && STATE_RANK.stale > STATE_RANK[state]) state = 'stale';
      }
      const e: InstrumentStatus = {
        venue: this.venue,
        symbol: inst.canonical,
        venueSymbol: inst.venueSymbol,
        market: inst.market,
        state,
        resyncPending: this.resyncPending.has(inst.canonical) || this.resyncRunning === inst.canonical,
        resyncs: st?.resyncs ?? 0,
        backfilledTrades: st?.backfilledTrades ?? 0,
        backfillGaps: st?.backfillGaps ?? 0,
        backfillTradesUnfilled: st?.backfillTradesUnfilled ?? 0,
        lastEventTs: st?.ts ?? 0,
      };
      if (st?.reason !== undefined) e.lastReason = st.reason;
      out.push(e);
    }
    return out;
  }

  /**
   * Asks for a fresh book of one instrument: a REST snapshot frame (Binance)
   * or an unsubscribe + subscribe of its book channel (elsewhere). Requests
   * run one at a time; a request for a symbol already queued joins it.
   */
  resync(canonicalSymbol: string, reason: string): Promise<void> {
    const inst = this.symbols.canonical(canonicalSymbol);
    if (!inst) {
      this.log.warn({ venue: this.venue, symbol: canonicalSymbol, reason }, 'resync for an unknown symbol ignored');
      return Promise.resolve();
    }
    const pending = this.resyncPending.get(inst.canonical);
    if (pending) return pending;
    const run = this.resyncChain.then(async () => {
      this.resyncPending.delete(inst.canonical);
      if (this.closing) return;
      this.resyncRunning = inst.canonical;
      try {
        await this.doResync(inst, reason);
      } catch (err) {
        if (err instanceof AbortError || this.closing) return;
        this.log.error({ venue: this.venue, symbol: inst.canonical, reason, err: errText(err) }, 'resync failed');
      } finally {
        this.resyncRunning = undefined;
      }
      await sleep(this.opts.rest?.minIntervalMs ?? DEFAULT_REST.minIntervalMs, this.abort.signal).catch(
        () => undefined,
      );
    });
    this.resyncPending.set(inst.canonical, run);
    this.resyncChain = run;
    return run;
  }

  /** Planned rotation of every connection (make-before-break), as on a shutdown notice. */
  rotateAll(reason: string): void {
    for (const s of this.slots) this.rotate(s, reason);
  }

  /** Closes every socket and timer; pending REST requests are aborted. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.abort.abort();
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    const waits: Array<Promise<void>> = [];
    for (const s of this.slots) {
      for (const c of [...s.conns]) {
        c.clearTimers();
        const ws = c.ws;
        if (!ws || ws.readyState === WebSocket.CLOSED) continue;
        waits.push(
          new Promise<void>((resolve) => {
            const done = (): void => {
              clearTimeout(kill);
              resolve();
            };
            ws.once('close', done);
            const kill = setTimeout(() => ws.terminate(), 1000);
            if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
            else ws.close(1000, 'client shutdown');
          }),
        );
      }
    }
    await Promise.all(waits);
    await Promise.allSettled([this.resyncChain, this.backfillChain]);
  }

  // ---- Connection lifecycle.

  private connectSlot(slot: Slot, delayMs: number): void {
    if (this.closing || slot.reconnectPending) return;
    slot.reconnectPending = true;
    const go = async (): Promise<void> => {
      if (delayMs > 0) await sleep(delayMs, this.abort.signal);
      await this.bucket.take(this.abort.signal);
      slot.reconnectPending = false;
      if (this.closing) return;
      const c = this.open(slot, 'connect');
      slot.primary = c;
      if (slot.lastTradeIds.size > 0) {
        c.tradeWatch = new Map(slot.lastTradeIds);
        c.tradeWatchUntil = Date.now() + TRADE_WATCH_MS;
        slot.lastTradeIds = new Map();
      }
    };
    go().catch((err: unknown) => {
      slot.reconnectPending = false;
      if (!(err instanceof AbortError)) this.log.error({ venue: this.venue, err: errText(err) }, 'connect failed');
    });
  }

  private open(slot: Slot, why: string): FeedConnection {
    const c = new FeedConnection(slot, venueCode(this.venue));
    slot.conns.push(c);
    if (slot.conns.length > 1 && slot.seen === null) slot.seen = this.recentKeys(slot.primary);
    this.status(c, 'connecting', why);
    const url = this.wsUrl(slot.market, slot.endpoint);
    c.url = url;
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, {
        perMessageDeflate: false,
        handshakeTimeout: 10_000,
        autoPong: true,
        maxPayload: 64 * 1024 * 1024,
      });
    } catch (err) {
      // A malformed URL: nothing to retry against.
      this.log.error({ venue: this.venue, url, err: errText(err) }, 'bad WebSocket URL');
      slot.conns = slot.conns.filter((x) => x !== c);
      this.status(c, 'closed', `bad url: ${errText(err)}`);
      return c;
    }
    c.ws = ws;
    ws.on('open', () => this.onOpen(slot, c));
    ws.on('message', (data: WebSocket.RawData) => {
      this.onFrame(
        slot,
        c,
        Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data),
      );
    });
    ws.on('close', (code: number, reason: Buffer) => this.onClose(slot, c, code, reason.toString()));
    ws.on('error', (err: Error) => {
      c.lastError = err.message;
    });
    return c;
  }

  /** Whether this venue fills trade gaps (it has sequential trade ids and a REST trades endpoint). */
  private hasBackfill(): boolean {
    return this.opts.backfill !== false && this.tradeIds !== Connector.prototype.tradeIds;
  }

  private onOpen(slot: Slot, c: FeedConnection): void {
    if (this.closing) return;
    c.state = 'open';
    c.openedAt = Date.now();
    c.lastRxAt = c.openedAt;
    c.lastPingAt = c.openedAt;
    this.stats.connectionsOpen++;
    this.status(c, 'open');
    const ws = c.ws!;
    c.sendQueue = new SendQueue(this.limits.requestsPerSecond, (text) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(text);
    });
    const reqs = this.requests(slot.topics, 'subscribe');
    c.acksExpected = reqs.reduce((n, r) => n + r.acks, 0);
    for (const r of reqs) c.sendQueue.push(r.text);
    const ka = this.keepAlive;
    const periods = [ka.staleMs, ka.probeIdleMs || Infinity, ka.pingIntervalMs || Infinity];
    const tickMs = Math.min(1000, Math.max(20, Math.floor(Math.min(...periods) / 4)));
    c.timers.add(setInterval(() => this.tick(c), tickMs));
    const maxAge = this.opts.maxConnectionAgeMs ?? this.defaults().maxConnectionAgeMs;
    if (maxAge > 0 && Number.isFinite(maxAge)) {
      c.timers.add(setTimeout(() => this.rotate(slot, 'max connection age'), maxAge));
    }
    if (c.acksExpected === 0) this.markSubscribed(slot, c);
  }

  private tick(c: FeedConnection): void {
    const now = Date.now();
    if (c.rx) {
      c.rx = false;
      c.lastRxAt = now;
    }
    const ka = this.keepAlive;
    const idle = now - c.lastRxAt;
    if (idle >= ka.staleMs) {
      this.stats.stale++;
      c.lossReason = `stale: no frame for ${idle} ms`;
      this.status(c, 'stale', c.lossReason);
      c.clearTimers();
      c.ws?.terminate();
      return;
    }
    if (ka.probeIdleMs > 0 && idle >= ka.probeIdleMs && now - c.lastProbeAt >= ka.probeIdleMs) {
      const probe = this.probeMessage();
      if (probe !== null) c.sendQueue?.push(probe);
      c.lastProbeAt = now;
    }
    if (ka.pingIntervalMs > 0 && now - c.lastPingAt >= ka.pingIntervalMs) {
      const ping = this.pingMessage();
      if (ping !== null) c.sendQueue?.push(ping);
      c.lastPingAt = now;
    }
    if (c.tradeWatch !== null && now > c.tradeWatchUntil) c.tradeWatch = null;
  }

  /** The hot path: one call per WebSocket message. */
  private onFrame(slot: Slot, c: FeedConnection, frame: Buffer): void {
    const recvNs = nowNs();
    c.rx = true;
    const kind = this.inspect(frame);
    if (kind !== null) this.onControl(slot, c, kind, frame);
    if (this.frameCheck !== null) this.frameCheck(c, frame);
    if (slot.seen !== null && !this.firstInOverlap(slot, c, frame)) {
      this.stats.duplicates++;
      return;
    }
    if (c.tradeWatch !== null && !this.watchTrades(slot, c, frame)) {
      this.stats.duplicates++;
      return;
    }
    if (c.retained !== null) c.retained[c.retainedAt++ & RETAIN_MASK] = frame;
    const meta = c.meta;
    meta.recvNs = recvNs;
    if (this.sink.write(meta, frame)) {
      this.stats.frames++;
      this.stats.bytes += frame.length;
    } else {
      this.onRingFull(slot, c);
    }
  }

  private onControl(slot: Slot, c: FeedConnection, kind: Exclude<ControlKind, null>, frame: Buffer): void {
    if (kind === 'ack') {
      if (!c.subscribed && ++c.acksSeen >= c.acksExpected) this.markSubscribed(slot, c);
    } else if (kind === 'error') {
      this.log.warn({ venue: this.venue, connection: c.id, frame: frame.toString('utf8', 0, 300) }, 'venue error');
    } else if (kind === 'shutdown') {
      this.log.info({ venue: this.venue, connection: c.id }, 'planned disconnect notice');
      if (!c.retiring) this.rotate(slot, 'shutdown notice');
    }
  }

  private markSubscribed(slot: Slot, c: FeedConnection): void {
    c.subscribed = true;
    c.state = 'subscribed';
    this.status(c, 'subscribed');
    if (slot.primary === c) {
      this.afterSubscribed(slot.topics);
      return;
    }
    // A rotation successor: both connections deliver for `overlapMs`, then the old one goes.
    const overlapMs = this.opts.overlapMs ?? 1000;
    c.timers.add(setTimeout(() => this.switchOver(slot, c), overlapMs));
  }

  private switchOver(slot: Slot, next: FeedConnection): void {
    if (this.closing || !slot.conns.includes(next)) return;
    const old = slot.primary;
    slot.primary = next;
    if (old && old !== next) this.retire(old, 'replaced');
  }

  private retire(c: FeedConnection, reason: string): void {
    c.retiring = true;
    c.lossReason = reason;
    c.clearTimers();
    const ws = c.ws;
    if (!ws) return;
    if (ws.readyState === WebSocket.OPEN) {
      ws.close(1000, reason);
      c.timers.add(setTimeout(() => ws.terminate(), 2000));
    } else ws.terminate();
  }

  /** Make-before-break: open a successor with the same topics; the old one closes once it is subscribed. */
  private rotate(slot: Slot, reason: string): void {
    if (this.closing || slot.conns.length > 1 || slot.reconnectPending) return;
    const old = slot.primary;
    if (!old) return;
    this.stats.rotations++;
    this.status(old, 'reconnecting', `make-before-break: ${reason}`);
    this.open(slot, `rotation: ${reason}`);
  }

  private onClose(slot: Slot, c: FeedConnection, code: number, reason: string): void {
    const wasOpen = c.openedAt > 0;
    c.clearTimers();
    if (wasOpen) this.stats.connectionsOpen--;
    slot.conns = slot.conns.filter((x) => x !== c);
    if (slot.conns.length <= 1) slot.seen = null;
    c.state = 'closed';
    if (this.closing) {
      this.status(c, 'closed', 'shutdown');
      return;
    }
    const why = c.lossReason ?? `closed ${code}${reason ? ` ${reason}` : ''}${c.lastError ? ` (${c.lastError})` : ''}`;
    if (c.retiring) {
      this.status(c, 'closed', why);
      return;
    }
    this.rememberTrades(slot, c);
    if (slot.primary === c) {
      const successor = slot.conns[0];
      if (successor) {
        // The old connection went before the overlap completed: the successor takes over now.
        slot.primary = successor;
        this.status(c, 'closed', why);
        if (successor.subscribed) this.afterSubscribed(slot.topics);
        return;
      }
      slot.primary = undefined;
      if (wasOpen && Date.now() - c.openedAt >= (this.opts.backoff?.stableMs ?? DEFAULT_BACKOFF.stableMs))
        slot.attempt = 0;
      const b = { ...DEFAULT_BACKOFF, ...this.opts.backoff };
      const delay = backoffDelay(slot.attempt++, b.baseMs, b.maxMs);
      this.stats.reconnects++;
      this.status(c, 'reconnecting', `${why}; retry in ${delay} ms`);
      this.connectSlot(slot, delay);
      return;
    }
    // A successor that failed before taking over: the old connection keeps running; try again later.
    this.status(c, 'closed', why);
    const b = { ...DEFAULT_BACKOFF, ...this.opts.backoff };
    const delay = backoffDelay(slot.attempt++, b.baseMs, b.maxMs);
    const t = setTimeout(() => {
      this.retryTimers.delete(t);
      this.rotate(slot, 'retry');
    }, delay);
    this.retryTimers.add(t);
  }

  private readonly retryTimers = new Set<NodeJS.Timeout>();

  // ---- Overlap dedup (only while two connections of a slot are open).

  /**
   * Seeds an overlap with the keys of the frames the primary forwarded last:
   * a successor's subscription replays (the last trade, a snapshot) must match
   * frames sent before the overlap began.
   */
  private recentKeys(primary: FeedConnection | undefined): Set<string> {
    const seen = new Set<string>();
    const r = primary?.retained;
    if (!primary || !r) return seen;
    const n = Math.min(primary.retainedAt, OVERLAP_SEED);
    for (let i = n; i >= 1; i--) {
      const frame = r[(primary.retainedAt - i) & RETAIN_MASK];
      if (!frame) continue;
      const key = this.overlapKey(frame);
      if (key !== SNAPSHOT) seen.add(key ?? frameHash(frame));
    }
    return seen;
  }

  private firstInOverlap(slot: Slot, c: FeedConnection, frame: Buffer): boolean {
    const key = this.overlapKey(frame);
    if (key === SNAPSHOT) return c === slot.primary;
    const k = key ?? frameHash(frame);
    const seen = slot.seen!;
    if (seen.has(k)) return false;
    seen.add(k);
    if (seen.size > OVERLAP_SET_MAX) {
      let n = OVERLAP_SET_MAX / 4;
      for (const old of seen) {
        seen.delete(old);
        if (--n <= 0) break;
      }
    }
    return true;
  }

  // ---- Ring full.

  private onRingFull(slot: Slot, c: FeedConnection): void {
    this.stats.drops++;
    const now = Date.now();
    this.dropLog.count++;
    if (now - this.dropLog.at >= 5000) {
      this.log.warn(
        { venue: this.venue, connection: c.id, dropped: this.dropLog.count, total: this.stats.drops },
        'input ring full: frames dropped; books of the connection resync',
      );
      this.dropLog = { at: now, count: 0 };
    }
    // A dropped frame may be a book delta: every book of the connection needs a fresh snapshot.
    // One request per book and second at most while the ring stays full.
    for (const t of slot.topics) {
      if (t.channel !== 'book' || !t.instrument) continue;
      const sym = t.instrument.canonical;
      if (this.resyncPending.has(sym) || now - (this.ringFullResyncAt.get(sym) ?? -Infinity) < 1000) continue;
      this.ringFullResyncAt.set(sym, now);
      this.status(c, 'stale', 'input ring full', sym);
      void this.resync(sym, 'ring_full');
    }
  }

  // ---- Resync.

  private async doResync(inst: Instrument, reason: string): Promise<void> {
    const slot = this.slots.find((s) => s.topics.some((t) => t.channel === 'book' && t.instrument === inst));
    const conn = slot?.primary;
    this.stats.resyncs++;
    const st = this.instStats.get(inst.canonical);
    if (st) st.resyncs++;
    const snapshot = await this.fetchSnapshot(inst);
    if (snapshot !== null) {
      const meta: RecordMeta = {
        type: FRAME_RECORD_TYPE,
        venue: venueCode(this.venue),
        aux: conn?.id ?? 0,
        flags: marketCode(inst.market),
        recvNs: nowNs(),
      };
      if (!this.sink.write(meta, Buffer.from(snapshot, 'utf8'))) {
        this.stats.drops++;
        this.log.warn({ venue: this.venue, symbol: inst.canonical }, 'input ring full: REST snapshot dropped');
        return;
      }
      this.stats.frames++;
      this.stats.bytes += Buffer.byteLength(snapshot);
      if (conn) this.status(conn, 'subscribed', `resync (${reason}): REST snapshot`, inst.canonical);
      return;
    }
    if (!slot || !conn || !conn.sendQueue || conn.state === 'closed') {
      // No live connection: its reconnect resubscribes, which brings a snapshot anyway.
      return;
    }
    const topics = slot.topics.filter((t) => t.channel === 'book' && t.instrument === inst);
    for (const r of this.requests(topics, 'unsubscribe')) conn.sendQueue.push(r.text);
    for (const r of this.requests(topics, 'subscribe')) conn.sendQueue.push(r.text);
    this.status(conn, 'subscribed', `resync (${reason}): resubscribed`, inst.canonical);
  }

  /** Resyncs every book instrument of these topics (used after a (re)connect by REST-snapshot venues). */
  protected resyncBooks(topics: Topic[], reason: string): void {
    for (const t of topics) if (t.channel === 'book' && t.instrument) void this.resync(t.instrument.canonical, reason);
  }

  // ---- Trade backfill.

  /** On losing a connection: the last trade id per instrument, from the frames it forwarded last. */
  private rememberTrades(slot: Slot, c: FeedConnection): void {
    const r = c.retained;
    if (r === null || !this.hasBackfill()) return;
    const found = new Map<string, TradeMark>();
    const n = Math.min(c.retainedAt, RETAIN);
    for (let i = 1; i <= n; i++) {
      const frame = r[(c.retainedAt - i) & RETAIN_MASK];
      if (!frame) continue;
      const t = this.tradeIds(frame);
      if (!t) continue;
      const had = found.get(t.symbol);
      // Frames are scanned newest first; a replayed snapshot can sit after newer ids, so keep the highest.
      if (had === undefined || t.last > had.id) {
        const mark: TradeMark = { id: t.last };
        if (t.lastMs !== undefined) mark.ms = t.lastMs;
        found.set(t.symbol, mark);
      }
    }
    c.retained = null;
    if (found.size > 0) slot.lastTradeIds = found;
  }

  /**
   * Right after a reconnect: the first trade frame per instrument decides
   * whether trades were missed. Frames with only old ids are dropped (a
   * venue's replay of the last trade); a replay that also holds new trades is
   * cut to those (flag 0x100); a jump fetches the missing ones.
   * Returns false to drop the frame.
   */
  private watchTrades(slot: Slot, c: FeedConnection, frame: Buffer): boolean {
    const t = this.tradeIds(frame);
    if (t === null) return true;
    const watch = c.tradeWatch!;
    const mark = watch.get(t.symbol);
    if (mark === undefined) return true;
    const last = mark.id;
    if (t.last <= last) return false;
    watch.delete(t.symbol);
    if (watch.size === 0) c.tradeWatch = null;
    if (t.first > last + 1) this.queueBackfill(slot, c, t.symbol, mark, t.first);
    if (t.replay === true || t.first <= last) {
      const part = this.tradesAfter(frame, last);
      if (part !== null) {
        this.writeReplayPart(slot, c, t.symbol, part);
        return false;
      }
    }
    return true;
  }

  /** The new trades of a replayed frame, in its place, marked as recovered (flag 0x100). */
  private writeReplayPart(slot: Slot, c: FeedConnection, venueSymbol: string, part: ReplayPart): void {
    if (part.trades <= 0) {
      this.stats.duplicates++;
      return;
    }
    const buf = Buffer.from(part.text, 'utf8');
    const meta: RecordMeta = {
      type: FRAME_RECORD_TYPE,
      venue: venueCode(this.venue),
      aux: c.id,
      flags: marketCode(slot.market) | FLAG_BACKFILLED,
      recvNs: nowNs(),
    };
    if (c.retained !== null) c.retained[c.retainedAt++ & RETAIN_MASK] = buf;
    if (!this.sink.write(meta, buf)) {
      this.onRingFull(slot, c);
      return;
    }
    this.stats.frames++;
    this.stats.bytes += buf.length;
    this.stats.backfilledTrades += part.trades;
    const inst = this.symbols.venue(venueSymbol, slot.market);
    const st = inst ? this.instStats.get(inst.canonical) : undefined;
    if (st) st.backfilledTrades += part.trades;
  }

  private queueBackfill(slot: Slot, c: FeedConnection, venueSymbol: string, mark: TradeMark, beforeId: number): void {
    const inst = this.symbols.venue(venueSymbol, slot.market);
    if (!inst) return;
    const afterId = mark.id;
    const gap = beforeId - afterId - 1;
    const st = this.instStats.get(inst.canonical);
    this.stats.backfillGaps++;
    if (st) st.backfillGaps++;
    const unfilled = (missing: number, why: string): void => {
      if (missing <= 0) return;
      this.stats.backfillGapsUnfilled++;
      this.stats.backfillTradesUnfilled += missing;
      if (st) st.backfillTradesUnfilled += missing;
      this.log.warn(
        { venue: this.venue, symbol: inst.canonical, afterId, beforeId, missing },
        `trade gap not filled completely: ${missing} of ${gap} trades missing (${why})`,
      );
    };
    const ctx: BackfillContext = {};
    if (mark.ms !== undefined) ctx.afterMs = mark.ms;
    this.backfillChain = this.backfillChain.then(async () => {
      if (this.closing) return;
      try {
        const bf = await this.fetchBackfill(inst, afterId, beforeId, ctx);
        if (this.closing) return;
        if (bf === null) {
          unfilled(gap, 'the venue has no REST trades endpoint');
          return;
        }
        const meta: RecordMeta = {
          type: FRAME_RECORD_TYPE,
          venue: venueCode(this.venue),
          aux: c.id,
          flags: marketCode(slot.market) | FLAG_BACKFILLED,
          recvNs: 0n,
        };
        let written = 0;
        for (const text of bf.frames) {
          meta.recvNs = nowNs();
          const buf = Buffer.from(text, 'utf8');
          if (!this.sink.write(meta, buf)) {
            this.stats.drops++;
            continue;
          }
          written++;
          this.stats.frames++;
          this.stats.bytes += buf.length;
        }
        // Trades of frames the ring refused are lost too (frames hold one trade each, or all of them).
        const trades = written === bf.frames.length ? bf.trades : bf.frames.length === bf.trades ? written : 0;
        this.stats.backfilledTrades += trades;
        if (st) st.backfilledTrades += trades;
        const msg = `backfilled ${trades} of ${gap} trades between ids ${afterId} and ${beforeId}`;
        unfilled(
          gap - trades,
          !bf.complete ? 'the REST history does not reach back far enough' : 'input ring full or ids missing at REST',
        );
        this.status(c, c.state, msg, inst.canonical);
      } catch (err) {
        if (err instanceof AbortError || this.closing) return;
        this.log.error({ venue: this.venue, symbol: inst.canonical, err: errText(err) }, 'trade backfill failed');
        unfilled(gap, `REST failed: ${errText(err)}`);
      }
    });
  }

  // ---- Status events.

  protected status(c: FeedConnection, state: FeedState, reason?: string, symbol?: string): void {
    if (symbol === undefined) c.state = state;
    const e: FeedStatusEvent = { type: 'feed_status', venue: this.venue, connection: c.id, state, ts: nowUs() };
    if (symbol !== undefined) {
      const st = this.instStats.get(symbol);
      if (st) {
        st.state = state;
        st.reason = reason;
        st.ts = e.ts;
      }
    }
    if (reason !== undefined) e.reason = reason;
    if (symbol !== undefined) e.symbol = symbol;
    this.emit('status', e);
    this.opts.onStatus?.(e);
  }
}

export function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Narrowing helpers for REST JSON (off the hot path). */
export function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
export function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
export function asString(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

export type { FeedConnection };
