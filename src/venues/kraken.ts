// Kraken Spot WebSocket v2 (`kraken`): method subscribe per channel with the
// symbol list (one ack per symbol), heartbeats while subscribed, app-level
// `{"method":"ping"}` when idle, `status` maintenance as the planned-
// disconnect notice; book resync = unsubscribe + subscribe (fresh snapshot).
// trade_id is sequential per pair: a gap after a reconnect is filled from
// REST `GET /0/public/Trades?pair=…&since=…` (searched by time, paged).
import { allIntsAfter, ascii, indexWithin, startsWith, valueAfter } from './bytes';
import {
  Connector,
  SNAPSHOT,
  asArray,
  asRecord,
  asString,
  type Backfill,
  type BackfillContext,
  type ControlKind,
  type OverlapKey,
  type SubscribeRequest,
  type Topic,
  type TradeIds,
  type VenueDefaults,
} from './connection';
import { canonicalOf, krakenAsset } from './symbols';
import type { FeedChannel, Instrument } from './types';

const P_SUBSCRIBE = ascii('{"method":"subscribe"');
const P_UNSUBSCRIBE = ascii('{"method":"unsubscribe"');
const P_STATUS = ascii('{"channel":"status"');
const P_TRADE = ascii('{"channel":"trade"');
const P_ERROR = ascii('{"error"');
const N_SUCCESS = ascii('"success":true');
const N_FAILURE = ascii('"success":false');
const N_MAINTENANCE = ascii('"system":"maintenance"');
const N_SNAPSHOT = ascii('"type":"snapshot"');
const N_SYMBOL = ascii('"symbol":');
const N_TRADE_ID = ascii('"trade_id":');
const N_TIMESTAMP = ascii('"timestamp":');
/** REST trades per request (Kraken's maximum `count`) and the most pages one backfill reads. */
const TRADES_PER_PAGE = 1000;
const MAX_PAGES = 10;
const DECIMAL = /^\d+(\.\d+)?$/;

/** `1688669448.2042` (seconds, JSON number) → RFC3339 with µs, as the WebSocket writes it. */
function rfc3339FromSeconds(seconds: number): string {
  const us = Math.round(seconds * 1e6);
  const iso = new Date(Math.floor(us / 1000)).toISOString(); // …T07:48:36.925Z
  return `${iso.slice(0, 19)}.${String(us % 1_000_000).padStart(6, '0')}Z`;
}

const CHANNEL_NAMES: Record<Exclude<FeedChannel, 'mark'>, string> = { trades: 'trade', book: 'book', bbo: 'ticker' };

export class KrakenConnector extends Connector {
  readonly venue = 'kraken' as const;
  private requestId = 0;
  /** WebSocket symbol (`BTC/USD`) → REST pair name (`XBTUSD`), from AssetPairs. */
  private readonly restPairs = new Map<string, string>();

  protected defaults(): VenueDefaults {
    return {
      wsUrl: 'wss://ws.kraken.com/v2',
      restUrl: 'https://api.kraken.com',
      channels: ['trades', 'book', 'bbo'],
      limits: { streamsPerConnection: 200, argsPerRequest: 50, requestsPerSecond: 5 },
      // Heartbeats come about once a second while subscribed; ping when idle anyway.
      keepAlive: { staleMs: 10_000, probeIdleMs: 5_000, pingIntervalMs: 0 },
      maxConnectionAgeMs: 0,
    };
  }

  protected topicsFor(inst: Instrument, channel: FeedChannel): Topic[] {
    if (channel === 'mark') return [];
    return [{ name: `${CHANNEL_NAMES[channel]}:${inst.venueSymbol}`, channel, instrument: inst, market: inst.market }];
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
    for (const [channel, symbols] of byChannel) {
      for (const symbol of this.chunk(symbols, this.limits.argsPerRequest)) {
        const params: Record<string, unknown> = { channel, symbol };
        if (channel === 'book') params.depth = this.bookDepth ?? 10;
        if (op === 'subscribe') params.snapshot = channel !== 'trade';
        out.push({ text: JSON.stringify({ method: op, params, req_id: ++this.requestId }), acks: symbol.length });
      }
    }
    return out;
  }

  protected override probeMessage(): string {
    return JSON.stringify({ method: 'ping', req_id: ++this.requestId });
  }

  protected inspect(frame: Buffer): ControlKind {
    const c = frame[2];
    if (c === 0x6d) {
      // {"method":…
      if (startsWith(frame, P_SUBSCRIBE)) return frame.indexOf(N_SUCCESS) >= 0 ? 'ack' : 'error';
      if (startsWith(frame, P_UNSUBSCRIBE) && frame.indexOf(N_FAILURE) >= 0) return 'error';
      return null;
    }
    if (c === 0x63) {
      // {"channel":…: only status frames are looked into.
      return frame[12] === 0x73 &&
        frame[13] === 0x74 &&
        startsWith(frame, P_STATUS) &&
        frame.indexOf(N_MAINTENANCE) >= 0
        ? 'shutdown'
        : null;
    }
    if (c === 0x65 && startsWith(frame, P_ERROR)) return 'error';
    return null;
  }

  protected overlapKey(frame: Buffer): OverlapKey {
    if (indexWithin(frame, N_SNAPSHOT, 64) >= 0) return SNAPSHOT;
    if (startsWith(frame, P_TRADE)) return `trade:${valueAfter(frame, N_SYMBOL)}|${valueAfter(frame, N_TRADE_ID)}`;
    return null;
  }

  protected override tradeIds(frame: Buffer): TradeIds | null {
    if (!startsWith(frame, P_TRADE)) return null;
    const symbol = valueAfter(frame, N_SYMBOL);
    const ids = allIntsAfter(frame, N_TRADE_ID);
    if (symbol === undefined || ids.length === 0) return null;
    const last = Math.max(...ids);
    const out: TradeIds = { symbol, first: Math.min(...ids), last };
    // The time of the newest trade: REST history is searched by time (`since`).
    const at = frame.lastIndexOf(N_TIMESTAMP);
    const ms = at < 0 ? NaN : Date.parse(valueAfter(frame, N_TIMESTAMP, at) ?? '');
    if (Number.isFinite(ms)) out.lastMs = ms;
    if (indexWithin(frame, N_SNAPSHOT, 48) >= 0) out.replay = true;
    return out;
  }

  /** The REST pair name: AssetPairs' altname, else derived (bitcoin is XBT at REST). */
  private restPair(inst: Instrument): string {
    const known = this.restPairs.get(inst.venueSymbol);
    if (known !== undefined) return known;
    const x = (a: string): string => (a === 'BTC' ? 'XBT' : a);
    return `${x(inst.base)}${x(inst.quote)}`;
  }

  protected override async fetchBackfill(
    inst: Instrument,
    afterId: number,
    beforeId: number,
    ctx: BackfillContext,
  ): Promise<Backfill> {
    const pair = encodeURIComponent(this.restPair(inst));
    // One second before the last trade seen: `since` is exclusive and in whole seconds here.
    let since: string | undefined = ctx.afterMs !== undefined ? String(Math.floor(ctx.afterMs / 1000) - 1) : undefined;
    let oldest = Infinity;
    const trades = new Map<number, string>();
    for (let page = 0; page < MAX_PAGES; page++) {
      const q = since === undefined ? '' : `&since=${since}`;
      const body = asRecord(
        JSON.parse(await this.rest.get(`${this.restBase}/0/public/Trades?pair=${pair}&count=${TRADES_PER_PAGE}${q}`)),
      );
      const errors = asArray(body.error);
      if (errors.length > 0) throw new Error(`Trades: ${errors.map(String).join(', ')}`);
      const result = asRecord(body.result);
      const key = Object.keys(result).find((k) => k !== 'last');
      const list = key === undefined ? [] : asArray(result[key]);
      let newest = -Infinity;
      for (const item of list) {
        // [price, volume, time, "b"|"s", "m"|"l", misc, trade_id]
        const row = asArray(item);
        const id = Number(row[6]);
        if (!Number.isSafeInteger(id)) continue;
        if (page === 0) oldest = Math.min(oldest, id);
        newest = Math.max(newest, id);
        if (id <= afterId || id >= beforeId || trades.has(id)) continue;
        const price = asString(row[0]) ?? '';
        const qty = asString(row[1]) ?? '';
        const time = Number(row[2]);
        if (!DECIMAL.test(price) || !DECIMAL.test(qty) || !Number.isFinite(time)) continue;
        const side = row[3] === 's' ? 'sell' : 'buy';
        const ordType = row[4] === 'l' ? 'limit' : 'market';
        trades.set(
          id,
          `{"channel":"trade","type":"update","data":[{"symbol":${JSON.stringify(inst.venueSymbol)},"side":"${side}","price":${price},"qty":${qty},"ord_type":"${ordType}","trade_id":${id},"timestamp":"${rfc3339FromSeconds(time)}"}]}`,
        );
      }
      const next = asString(result.last);
      if (newest >= beforeId - 1 || list.length < TRADES_PER_PAGE || next === undefined || next === since) break;
      since = next;
    }
    const ids = [...trades.keys()].sort((a, b) => a - b);
    return { frames: ids.map((id) => trades.get(id)!), trades: ids.length, complete: oldest <= afterId + 1 };
  }

  protected async listInstruments(): Promise<Instrument[]> {
    const body = asRecord(JSON.parse(await this.rest.get(`${this.restBase}/0/public/AssetPairs`)));
    const out: Instrument[] = [];
    for (const value of Object.values(asRecord(body.result))) {
      const r = asRecord(value);
      const wsname = asString(r.wsname);
      if (!wsname || !wsname.includes('/')) continue;
      const [b, q] = wsname.split('/') as [string, string];
      const base = krakenAsset(b);
      const quote = krakenAsset(q);
      const altname = asString(r.altname);
      if (altname) this.restPairs.set(`${base}/${quote}`, altname);
      // WebSocket v2 spells bitcoin BTC.
      out.push({
        canonical: canonicalOf(base, quote, 'spot'),
        venueSymbol: `${base}/${quote}`,
        base,
        quote,
        market: 'spot',
      });
    }
    return out;
  }
}
