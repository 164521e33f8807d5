// Coinbase Exchange ws-feed (`coinbase`): one subscribe per channel with the
// product list, `subscriptions` as the ack, a `heartbeat` channel per product
// for liveness; matches carry sequential trade_ids per product (backfilled
// from /products/{id}/trades after a reconnect); book resync = unsubscribe +
// subscribe of level2_batch, which brings a fresh snapshot.
import { ascii, startsWith, valueAfter } from './bytes';
import {
  Connector,
  SNAPSHOT,
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
import { canonicalOf } from './symbols';
import type { FeedChannel, Instrument } from './types';

const P_ACK = ascii('{"type":"subscriptions"');
const P_ERROR = ascii('{"type":"error"');
const P_MATCH = ascii('{"type":"match"');
const P_LAST_MATCH = ascii('{"type":"last_match"');
const P_SNAPSHOT = ascii('{"type":"snapshot"');
const P_TICKER = ascii('{"type":"ticker"');
const N_TRADE_ID = ascii('"trade_id":');
const N_PRODUCT = ascii('"product_id":');
const N_SEQUENCE = ascii('"sequence":');

const CHANNEL_NAMES: Record<Exclude<FeedChannel, 'mark'>, string> = {
  trades: 'matches',
  book: 'level2_batch',
  bbo: 'ticker',
};

export class CoinbaseConnector extends Connector {
  readonly venue = 'coinbase' as const;

  protected defaults(): VenueDefaults {
    return {
      wsUrl: 'wss://ws-feed.exchange.coinbase.com',
      restUrl: 'https://api.exchange.coinbase.com',
      channels: ['trades', 'book', 'bbo'],
      limits: { streamsPerConnection: 300, argsPerRequest: 100, requestsPerSecond: 5 },
      // Heartbeats arrive every second per product.
      keepAlive: { staleMs: 10_000, probeIdleMs: 0, pingIntervalMs: 0 },
      maxConnectionAgeMs: 0,
    };
  }

  protected topicsFor(inst: Instrument, channel: FeedChannel): Topic[] {
    if (channel === 'mark') return [];
    return [{ name: `${CHANNEL_NAMES[channel]}:${inst.venueSymbol}`, channel, instrument: inst, market: inst.market }];
  }

  protected override connectionTopics(topics: Topic[]): Topic[] {
    const out = [...topics];
    for (const t of topics) {
      const name = `heartbeat:${t.instrument!.venueSymbol}`;
      if (!out.some((x) => x.name === name))
        out.push({ name, channel: 'heartbeat', instrument: t.instrument, market: t.market });
    }
    return out;
  }

  protected requests(topics: Topic[], op: 'subscribe' | 'unsubscribe'): SubscribeRequest[] {
    const byChannel = new Map<string, string[]>();
    for (const t of topics) {
      const i = t.name.indexOf(':');
      const ch = t.name.slice(0, i);
      const list = byChannel.get(ch) ?? [];
      list.push(t.name.slice(i + 1));
      byChannel.set(ch, list);
    }
    const out: SubscribeRequest[] = [];
    for (const [name, ids] of byChannel) {
      for (const part of this.chunk(ids, this.limits.argsPerRequest)) {
        out.push({
          text: JSON.stringify({ type: op, product_ids: [], channels: [{ name, product_ids: part }] }),
          acks: 1,
        });
      }
    }
    return out;
  }

  protected inspect(frame: Buffer): ControlKind {
    if (frame[9] !== 0x73 && frame[9] !== 0x65) return null; // {"type":"s… / {"type":"e…
    if (startsWith(frame, P_ACK)) return 'ack';
    if (startsWith(frame, P_ERROR)) return 'error';
    return null;
  }

  protected overlapKey(frame: Buffer): OverlapKey {
    if (startsWith(frame, P_SNAPSHOT)) return SNAPSHOT;
    if (startsWith(frame, P_MATCH) || startsWith(frame, P_LAST_MATCH)) {
      return `trade:${valueAfter(frame, N_PRODUCT)}|${valueAfter(frame, N_TRADE_ID)}`;
    }
    if (startsWith(frame, P_TICKER)) return `ticker:${valueAfter(frame, N_PRODUCT)}|${valueAfter(frame, N_SEQUENCE)}`;
    return null;
  }

  protected override tradeIds(frame: Buffer): TradeIds | null {
    if (!startsWith(frame, P_MATCH) && !startsWith(frame, P_LAST_MATCH)) return null;
    const symbol = valueAfter(frame, N_PRODUCT);
    const id = Number(valueAfter(frame, N_TRADE_ID));
    if (symbol === undefined || !Number.isSafeInteger(id)) return null;
    return { symbol, first: id, last: id };
  }

  protected override async fetchBackfill(inst: Instrument, afterId: number, beforeId: number): Promise<Backfill> {
    const url = `${this.restBase}/products/${encodeURIComponent(inst.venueSymbol)}/trades`;
    const list = asArray(JSON.parse(await this.rest.get(url)));
    let oldest = Infinity;
    const trades: Array<{ id: number; text: string }> = [];
    for (const item of list) {
      const r = asRecord(item);
      const id = Number(r.trade_id);
      if (!Number.isSafeInteger(id)) continue;
      oldest = Math.min(oldest, id);
      if (id <= afterId || id >= beforeId) continue;
      // REST `side` is the maker's side, as in `match`.
      const text = JSON.stringify({
        type: 'match',
        trade_id: id,
        side: asString(r.side) ?? '',
        size: asString(r.size) ?? '0',
        price: asString(r.price) ?? '0',
        product_id: inst.venueSymbol,
        time: asString(r.time) ?? '',
      });
      trades.push({ id, text });
    }
    trades.sort((a, b) => a.id - b.id);
    return { frames: trades.map((t) => t.text), trades: trades.length, complete: oldest <= afterId + 1 };
  }

  protected async listInstruments(): Promise<Instrument[]> {
    const out: Instrument[] = [];
    for (const item of asArray(JSON.parse(await this.rest.get(`${this.restBase}/products`)))) {
      const r = asRecord(item);
      const id = asString(r.id);
      const base = asString(r.base_currency);
      const quote = asString(r.quote_currency);
      if (!id || !base || !quote) continue;
      out.push({ canonical: canonicalOf(base, quote, 'spot'), venueSymbol: id, base, quote, market: 'spot' });
    }
    return out;
  }
}
