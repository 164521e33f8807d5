// Binance spot (`binance`) and USD-M futures (`binance-futures`): combined
// streams (`/stream`, frames wrapped as {"stream","data"}) with SUBSCRIBE
// messages; REST depth snapshots for book resyncs (written to the ring as
// {"rest":<body>,"symbol":"BTCUSDT"}) and /trades for trade backfill.
// Futures use the 2026 endpoint split by default: depth and bookTicker on
// `/public/stream`, trade and markPrice on `/market/stream`, one connection
// set each (`endpoints: 'legacy'` puts everything on `/stream` again).
import { sleep } from './backoff';
import { ascii, indexWithin, startsWith, valueAfter } from './bytes';
import {
  Connector,
  asArray,
  asRecord,
  asString,
  type Backfill,
  type ControlKind,
  type OverlapKey,
  type SubscribeRequest,
  type Topic,
  type TradeIds,
  type VenueDefaults,
} from './connection';
import { canonicalOf, parseCanonicalSymbol } from './symbols';
import type { Market } from '../events';
import type { ConnectorOptions, FeedChannel, Instrument } from './types';

const FUTURES_HOST = 'wss://fstream.binance.com';
/** Futures streams served by the `/public` endpoint in the split layout; everything else is on `/market`. */
const PUBLIC_CHANNELS: ReadonlySet<FeedChannel> = new Set(['book', 'bbo']);

const P_STREAM = ascii('{"stream":"');
const P_SHUTDOWN_WRAPPED = ascii('{"stream":"!serverShutdown"');
const P_SHUTDOWN_RAW = ascii('{"e":"serverShutdown"');
const P_ACK = ascii('{"result":null');
const P_ERROR = ascii('{"error"');
const N_STREAM = ascii('"stream":');
const N_TRADE_STREAM = ascii('@trade"');
const N_S = ascii('"s":');
const N_T = ascii('"t":');
const N_A = ascii('"a":');
const N_U = ascii('"u":');
const N_E = ascii('"E":');
const CH_S = 0x73;
const CH_R = 0x72;
const CH_E = 0x65;

class BinanceBase extends Connector {
  readonly venue: 'binance' | 'binance-futures';
  private requestId = 0;

  constructor(
    opts: ConnectorOptions,
    private readonly futures: boolean,
  ) {
    super(opts);
    this.venue = futures ? 'binance-futures' : 'binance';
  }

  /** Futures in the 2026 layout (separate `/public` and `/market` endpoints). */
  private get split(): boolean {
    return this.futures && this.opts.endpoints !== 'legacy';
  }

  protected defaults(): VenueDefaults {
    return {
      wsUrl: this.futures
        ? `${FUTURES_HOST}${this.split ? '/market' : ''}/stream`
        : 'wss://stream.binance.com:9443/stream',
      restUrl: this.futures ? 'https://fapi.binance.com' : 'https://api.binance.com',
      channels: this.futures ? ['trades', 'book', 'bbo', 'mark'] : ['trades', 'book', 'bbo'],
      limits: { streamsPerConnection: 1024, argsPerRequest: 200, requestsPerSecond: this.futures ? 10 : 5 },
      // No app-level heartbeat: a LIST_SUBSCRIPTIONS round trip proves the data path after 10 s of silence.
      keepAlive: { staleMs: 30_000, probeIdleMs: 10_000, pingIntervalMs: 0 },
      // Binance cuts connections at 24 h: rotate before that.
      maxConnectionAgeMs: 23.5 * 3600 * 1000,
    };
  }

  private get apiPrefix(): string {
    return this.futures ? '/fapi/v1' : '/api/v3';
  }

  protected override wantedSymbols(): string[] {
    return super.wantedSymbols().map((s) => {
      const p = parseCanonicalSymbol(s);
      return this.futures ? canonicalOf(p.base, p.quote, 'perp') : p.canonical;
    });
  }

  protected override wsUrl(market: Market, endpoint?: string): string {
    if (endpoint !== 'public') return super.wsUrl(market);
    if (this.opts.wsUrlPublic !== undefined) return this.opts.wsUrlPublic;
    const marketUrl = this.opts.wsUrl;
    if (marketUrl === undefined) return `${FUTURES_HOST}/public/stream`;
    // A configured /market URL implies its /public sibling; any other URL is taken to serve every stream.
    return marketUrl.replace('/market/', '/public/');
  }

  protected topicsFor(inst: Instrument, channel: FeedChannel): Topic[] {
    const lower = inst.venueSymbol.toLowerCase();
    const endpoint = this.split ? (PUBLIC_CHANNELS.has(channel) ? 'public' : 'market') : undefined;
    const t = (name: string): Topic[] => [
      endpoint === undefined
        ? { name, channel, instrument: inst, market: inst.market }
        : { name, channel, instrument: inst, market: inst.market, endpoint },
    ];
    switch (channel) {
      case 'trades':
        return t(`${lower}@trade`);
      case 'book':
        return t(`${lower}@depth@100ms`);
      case 'bbo':
        return t(`${lower}@bookTicker`);
      case 'mark':
        return this.futures ? t(`${lower}@markPrice@1s`) : [];
    }
  }

  protected requests(topics: Topic[], op: 'subscribe' | 'unsubscribe'): SubscribeRequest[] {
    const method = op === 'subscribe' ? 'SUBSCRIBE' : 'UNSUBSCRIBE';
    return this.chunk(
      topics.map((t) => t.name),
      this.limits.argsPerRequest,
    ).map((params) => ({ text: JSON.stringify({ method, params, id: ++this.requestId }), acks: 1 }));
  }

  protected override probeMessage(): string {
    return JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id: ++this.requestId });
  }

  protected inspect(frame: Buffer): ControlKind {
    const c = frame[2];
    if (c === CH_S) return startsWith(frame, P_SHUTDOWN_WRAPPED) ? 'shutdown' : null;
    if (c === CH_R) return startsWith(frame, P_ACK) ? 'ack' : null;
    if (c === CH_E) {
      if (startsWith(frame, P_ERROR)) return 'error';
      if (startsWith(frame, P_SHUTDOWN_RAW)) return 'shutdown';
    }
    return null;
  }

  protected overlapKey(frame: Buffer): OverlapKey {
    if (!startsWith(frame, P_STREAM)) return null;
    const stream = valueAfter(frame, N_STREAM);
    if (stream === undefined) return null;
    const at = stream.indexOf('@');
    const kind = at < 0 ? '' : stream.slice(at);
    const field =
      kind === '@trade'
        ? N_T
        : kind === '@aggTrade'
          ? N_A
          : kind.startsWith('@depth') || kind === '@bookTicker'
            ? N_U
            : N_E;
    const id = valueAfter(frame, field, P_STREAM.length + stream.length);
    return id === undefined ? null : `${stream}|${id}`;
  }

  protected override tradeIds(frame: Buffer): TradeIds | null {
    if (indexWithin(frame, N_TRADE_STREAM, 48) < 0) return null;
    const symbol = valueAfter(frame, N_S);
    const id = Number(valueAfter(frame, N_T));
    if (symbol === undefined || !Number.isSafeInteger(id)) return null;
    return { symbol, first: id, last: id };
  }

  protected override async fetchBackfill(inst: Instrument, afterId: number, beforeId: number): Promise<Backfill> {
    const url = `${this.restBase}${this.apiPrefix}/trades?symbol=${encodeURIComponent(inst.venueSymbol)}&limit=1000`;
    const list = asArray(JSON.parse(await this.rest.get(url)));
    let oldest = Infinity;
    const trades: Array<{ id: number; text: string }> = [];
    for (const item of list) {
      const r = asRecord(item);
      const id = Number(r.id);
      if (!Number.isSafeInteger(id)) continue;
      oldest = Math.min(oldest, id);
      if (id <= afterId || id >= beforeId) continue;
      const T = Number(r.time);
      const p = JSON.stringify(asString(r.price) ?? '0');
      const q = JSON.stringify(asString(r.qty) ?? '0');
      const m = r.isBuyerMaker === true;
      const s = JSON.stringify(inst.venueSymbol);
      trades.push({
        id,
        text: this.futures
          ? `{"e":"trade","E":${T},"T":${T},"s":${s},"t":${id},"p":${p},"q":${q},"X":"MARKET","m":${m}}`
          : `{"e":"trade","E":${T},"s":${s},"t":${id},"p":${p},"q":${q},"T":${T},"m":${m},"M":true}`,
      });
    }
    trades.sort((a, b) => a.id - b.id);
    return { frames: trades.map((t) => t.text), trades: trades.length, complete: oldest <= afterId + 1 };
  }

  /** The REST depth snapshot, wrapped by string concatenation (the body is not parsed). */
  protected override async fetchSnapshot(inst: Instrument): Promise<string> {
    const url = `${this.restBase}${this.apiPrefix}/depth?symbol=${encodeURIComponent(inst.venueSymbol)}&limit=1000`;
    const body = (await this.rest.get(url)).trim();
    return `{"rest":${body},"symbol":${JSON.stringify(inst.venueSymbol)}}`;
  }

  /** Binance books start from a REST snapshot: fetch one per book once the deltas are flowing. */
  protected override afterSubscribed(topics: Topic[]): void {
    sleep(200, this.abort.signal).then(
      () => this.resyncBooks(topics, 'subscribed'),
      () => undefined,
    );
  }

  protected async listInstruments(): Promise<Instrument[]> {
    const info = asRecord(JSON.parse(await this.rest.get(`${this.restBase}${this.apiPrefix}/exchangeInfo`)));
    const out: Instrument[] = [];
    for (const item of asArray(info.symbols)) {
      const r = asRecord(item);
      const symbol = asString(r.symbol);
      const base = asString(r.baseAsset);
      const quote = asString(r.quoteAsset);
      if (!symbol || !base || !quote) continue;
      if (this.futures && r.contractType !== undefined && r.contractType !== 'PERPETUAL') continue;
      const market = this.futures ? 'perp' : 'spot';
      out.push({ canonical: canonicalOf(base, quote, market), venueSymbol: symbol, base, quote, market });
    }
    return out;
  }
}

export class BinanceConnector extends BinanceBase {
  constructor(opts: ConnectorOptions) {
    super(opts, false);
  }
}

export class BinanceFuturesConnector extends BinanceBase {
  constructor(opts: ConnectorOptions) {
    super(opts, true);
  }
}
