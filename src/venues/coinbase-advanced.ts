// Coinbase Advanced Trade (`coinbase-advanced`): one channel per subscribe
// message, the `heartbeats` channel on every connection (it also keeps quiet
// channels open), and the per-connection `sequence_num`: a jump means a lost
// message, so every level2 product of that connection is resubscribed.
// market_trades trade_ids are sequential per product. After a reconnect the
// subscription snapshot (the latest trades) is cut to the trades not seen
// before; a gap older than the snapshot is filled from REST
// /api/v3/brokerage/market/products/{id}/ticker?limit=… (the last N trades).
import { allIntsAfter, ascii, indexWithin, startsWith, valueAfter } from './bytes';
import {
  Connector,
  SNAPSHOT,
  asArray,
  asRecord,
  asString,
  type Backfill,
  type ControlKind,
  type FeedConnection,
  type OverlapKey,
  type ReplayPart,
  type SubscribeRequest,
  type Topic,
  type TradeIds,
  type VenueDefaults,
} from './connection';
import { canonicalOf } from './symbols';
import type { ConnectorOptions, FeedChannel, Instrument } from './types';

const P_ACK = ascii('{"channel":"subscriptions"');
const P_ERROR = ascii('{"type":"error"');
const P_CHANNEL = ascii('{"channel":"');
const N_CHANNEL = ascii('"channel":');
const N_SEQ = ascii('"sequence_num":');
const N_SNAPSHOT = ascii('"type":"snapshot"');
const N_TIMESTAMP = ascii('"timestamp":');
const N_PRODUCT = ascii('"product_id":');
const N_TRADE_ID = ascii('"trade_id":');
const N_COUNTER = ascii('"heartbeat_counter":');
const P_MARKET_TRADES = ascii('{"channel":"market_trades"');
/** Trades asked of the REST ticker endpoint (the last N; there is no paging back by id). */
const REST_TRADES = 1000;

const CHANNEL_NAMES: Record<Exclude<FeedChannel, 'mark'>, string> = {
  trades: 'market_trades',
  book: 'level2',
  bbo: 'ticker',
};

export class CoinbaseAdvancedConnector extends Connector {
  readonly venue = 'coinbase-advanced' as const;

  constructor(opts: ConnectorOptions) {
    super(opts);
    this.frameCheck = (c, frame) => this.checkSequence(c, frame);
  }

  protected defaults(): VenueDefaults {
    return {
      wsUrl: 'wss://advanced-trade-ws.coinbase.com',
      restUrl: 'https://api.coinbase.com',
      channels: ['trades', 'book', 'bbo'],
      limits: { streamsPerConnection: 300, argsPerRequest: 100, requestsPerSecond: 5 },
      keepAlive: { staleMs: 10_000, probeIdleMs: 0, pingIntervalMs: 0 },
      maxConnectionAgeMs: 0,
    };
  }

  protected topicsFor(inst: Instrument, channel: FeedChannel): Topic[] {
    if (channel === 'mark') return [];
    return [{ name: `${CHANNEL_NAMES[channel]}:${inst.venueSymbol}`, channel, instrument: inst, market: inst.market }];
  }

  protected override connectionTopics(topics: Topic[]): Topic[] {
    return [
      ...topics,
      { name: 'heartbeats', channel: 'heartbeat', instrument: null, market: topics[0]?.market ?? 'spot' },
    ];
  }

  protected requests(topics: Topic[], op: 'subscribe' | 'unsubscribe'): SubscribeRequest[] {
    const byChannel = new Map<string, string[]>();
    const out: SubscribeRequest[] = [];
    for (const t of topics) {
      if (t.name === 'heartbeats') {
        out.push({ text: JSON.stringify({ type: op, channel: 'heartbeats' }), acks: 1 });
        continue;
      }
      const i = t.name.indexOf(':');
      const ch = t.name.slice(0, i);
      const list = byChannel.get(ch) ?? [];
      list.push(t.name.slice(i + 1));
      byChannel.set(ch, list);
    }
    for (const [channel, ids] of byChannel) {
      for (const part of this.chunk(ids, this.limits.argsPerRequest)) {
        out.push({ text: JSON.stringify({ type: op, product_ids: part, channel }), acks: 1 });
      }
    }
    return out;
  }

  protected inspect(frame: Buffer): ControlKind {
    if (frame[12] === 0x73 && startsWith(frame, P_ACK)) return 'ack'; // {"channel":"s…
    if (frame[2] === 0x74 && startsWith(frame, P_ERROR)) return 'error';
    return null;
  }

  /** `sequence_num` must rise by one per frame of the connection. */
  private checkSequence(c: FeedConnection, frame: Buffer): void {
    const at = indexWithin(frame, N_SEQ, 160);
    if (at < 0) return;
    const n = Number(valueAfter(frame, N_SEQ, at));
    if (!Number.isSafeInteger(n)) return;
    const prev = c.lastSeqNum;
    c.lastSeqNum = n;
    if (prev >= 0 && n !== prev + 1) {
      this.log.warn({ venue: this.venue, connection: c.id, expected: prev + 1, got: n }, 'sequence_num gap');
      for (const t of c.slot.topics) {
        if (t.channel === 'book' && t.instrument) void this.resync(t.instrument.canonical, 'sequence_gap');
      }
    }
  }

  protected overlapKey(frame: Buffer): OverlapKey {
    if (!startsWith(frame, P_CHANNEL)) return null;
    const channel = valueAfter(frame, N_CHANNEL);
    if (channel === 'subscriptions') return null;
    if (indexWithin(frame, N_SNAPSHOT, 256) >= 0) return SNAPSHOT;
    if (channel === 'heartbeats') return `hb|${valueAfter(frame, N_COUNTER)}`;
    if (channel === 'market_trades') return `mt:${valueAfter(frame, N_PRODUCT)}|${valueAfter(frame, N_TRADE_ID)}`;
    // Envelopes differ per connection (sequence_num): key by channel, product and timestamp.
    return `${channel}:${valueAfter(frame, N_PRODUCT)}|${valueAfter(frame, N_TIMESTAMP)}`;
  }

  protected override tradeIds(frame: Buffer): TradeIds | null {
    if (!startsWith(frame, P_MARKET_TRADES)) return null;
    // One product per market_trades message (as Coinbase sends them).
    const symbol = valueAfter(frame, N_PRODUCT);
    const ids = allIntsAfter(frame, N_TRADE_ID);
    if (symbol === undefined || ids.length === 0) return null;
    const out: TradeIds = { symbol, first: Math.min(...ids), last: Math.max(...ids) };
    if (indexWithin(frame, N_SNAPSHOT, 256) >= 0) out.replay = true;
    return out;
  }

  /** A replayed snapshot after a reconnect: only the trades above `afterId`, envelope kept. */
  protected override tradesAfter(frame: Buffer, afterId: number): ReplayPart | null {
    let msg: unknown;
    try {
      msg = JSON.parse(frame.toString('utf8'));
    } catch {
      return null;
    }
    const root = asRecord(msg);
    let kept = 0;
    const events = asArray(root.events).map((ev) => {
      const e = asRecord(ev);
      const trades = asArray(e.trades).filter((t) => {
        const id = Number(asRecord(t).trade_id);
        return Number.isSafeInteger(id) && id > afterId;
      });
      kept += trades.length;
      return { ...e, trades };
    });
    return { text: JSON.stringify({ ...root, events }), trades: kept };
  }

  protected override async fetchBackfill(inst: Instrument, afterId: number, beforeId: number): Promise<Backfill> {
    const id = encodeURIComponent(inst.venueSymbol);
    const url = `${this.restBase}/api/v3/brokerage/market/products/${id}/ticker?limit=${REST_TRADES}`;
    const body = asRecord(JSON.parse(await this.rest.get(url)));
    let oldest = Infinity;
    const trades: Array<{ id: number; text: string }> = [];
    for (const item of asArray(body.trades)) {
      const r = asRecord(item);
      const tid = asString(r.trade_id);
      const n = Number(tid);
      if (tid === undefined || !Number.isSafeInteger(n)) continue;
      oldest = Math.min(oldest, n);
      if (n <= afterId || n >= beforeId) continue;
      const time = asString(r.time) ?? '';
      // `side` names the maker, as in market_trades.
      const trade = {
        product_id: inst.venueSymbol,
        trade_id: tid,
        price: asString(r.price) ?? '0',
        size: asString(r.size) ?? '0',
        time,
        side: asString(r.side) ?? '',
      };
      trades.push({
        id: n,
        text: JSON.stringify({
          channel: 'market_trades',
          client_id: '',
          timestamp: time,
          events: [{ type: 'update', trades: [trade] }],
        }),
      });
    }
    trades.sort((a, b) => a.id - b.id);
    return { frames: trades.map((t) => t.text), trades: trades.length, complete: oldest <= afterId + 1 };
  }

  protected async listInstruments(): Promise<Instrument[]> {
    const body = asRecord(JSON.parse(await this.rest.get(`${this.restBase}/api/v3/brokerage/market/products`)));
    const out: Instrument[] = [];
    for (const item of asArray(body.products)) {
      const r = asRecord(item);
      const id = asString(r.product_id);
      const base = asString(r.base_currency_id);
      const quote = asString(r.quote_currency_id);
      if (!id || !base || !quote) continue;
      out.push({ canonical: canonicalOf(base, quote, 'spot'), venueSymbol: id, base, quote, market: 'spot' });
    }
    return out;
  }
}
