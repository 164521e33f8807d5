// Bybit v5 public (`bybit`): spot and linear endpoints, `op` subscribe with at
// most 10 args per request (spot), `{"op":"ping"}` every 20 s, orderbook
// snapshot + delta; book resync = unsubscribe + subscribe (fresh snapshot).
// Spot trade ids (`i`, 19 digits) are sequential per symbol: a gap after a
// reconnect is filled from REST /v5/market/recent-trade, which only has the
// last 60 spot trades (the rest of a longer gap is counted as unfilled).
// Linear trade ids are UUIDs, so linear gaps cannot be seen and are not filled.
import type { Market } from '../events';
import { ascii, indexWithin, startsWith, valueAfter } from './bytes';
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

const P_SUCCESS = ascii('{"success":true');
const P_FAILURE = ascii('{"success":false');
const P_TOPIC = ascii('{"topic":"');
const N_OP_SUBSCRIBE = ascii('"op":"subscribe"');
const N_TOPIC = ascii('"topic":');
const N_SNAPSHOT = ascii('"type":"snapshot"');
const N_I = ascii('"i":');
const N_U = ascii('"u":');
const P_TRADE_TOPIC = ascii('{"topic":"publicTrade.');
/** recent-trade `limit` maxima: spot 60, linear 1000. */
const RECENT_LIMIT: Record<Market, number> = { spot: 60, perp: 1000 };
const DECIMAL = /^\d+(\.\d+)?$/;

/**
 * A numeric trade id as a safe integer: its last 15 digits (Bybit spot ids
 * are 19 digits, a fixed per-symbol prefix then a counter). Undefined for
 * UUIDs (linear) and anything else.
 */
export function bybitTradeNumber(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,20}$/.test(text)) return undefined;
  return Number(text.length > 15 ? text.slice(-15) : text);
}

/** Every value of `"i":` in a publicTrade frame, as safe integers (undefined if any is not numeric). */
function tradeNumbers(frame: Buffer): number[] | undefined {
  const out: number[] = [];
  let from = 0;
  for (;;) {
    const at = frame.indexOf(N_I, from);
    if (at < 0) return out;
    const n = bybitTradeNumber(valueAfter(frame, N_I, at));
    if (n === undefined) return undefined;
    out.push(n);
    from = at + N_I.length;
  }
}

export class BybitConnector extends Connector {
  readonly venue = 'bybit' as const;
  private requestId = 0;

  protected defaults(): VenueDefaults {
    return {
      wsUrl: 'wss://stream.bybit.com/v5/public/spot',
      wsUrlPerp: 'wss://stream.bybit.com/v5/public/linear',
      restUrl: 'https://api.bybit.com',
      channels: ['trades', 'book', 'bbo', 'mark'],
      limits: { streamsPerConnection: 200, argsPerRequest: 10, requestsPerSecond: 5 },
      keepAlive: { staleMs: 45_000, probeIdleMs: 0, pingIntervalMs: 20_000 },
      maxConnectionAgeMs: 0,
    };
  }

  protected topicsFor(inst: Instrument, channel: FeedChannel): Topic[] {
    const t = (name: string): Topic[] => [{ name, channel, instrument: inst, market: inst.market }];
    switch (channel) {
      case 'trades':
        return t(`publicTrade.${inst.venueSymbol}`);
      case 'book':
        return t(`orderbook.${this.bookDepth ?? 50}.${inst.venueSymbol}`);
      case 'bbo':
        return t(`tickers.${inst.venueSymbol}`);
      case 'mark':
        return inst.market === 'perp' ? t(`tickers.${inst.venueSymbol}`) : [];
    }
  }

  protected requests(topics: Topic[], op: 'subscribe' | 'unsubscribe'): SubscribeRequest[] {
    return this.chunk(
      topics.map((t) => t.name),
      this.limits.argsPerRequest,
    ).map((args) => ({ text: JSON.stringify({ req_id: String(++this.requestId), op, args }), acks: 1 }));
  }

  protected override pingMessage(): string {
    return JSON.stringify({ req_id: String(++this.requestId), op: 'ping' });
  }

  protected inspect(frame: Buffer): ControlKind {
    if (frame[2] !== 0x73) return null; // {"success":…
    if (startsWith(frame, P_SUCCESS)) return frame.indexOf(N_OP_SUBSCRIBE) >= 0 ? 'ack' : null;
    return startsWith(frame, P_FAILURE) ? 'error' : null;
  }

  protected overlapKey(frame: Buffer): OverlapKey {
    if (!startsWith(frame, P_TOPIC)) return null;
    const topic = valueAfter(frame, N_TOPIC);
    if (topic === undefined) return null;
    if (topic.startsWith('publicTrade.')) return `${topic}|${valueAfter(frame, N_I)}`;
    if (topic.startsWith('orderbook.')) {
      if (indexWithin(frame, N_SNAPSHOT, 96) >= 0) return SNAPSHOT;
      return `${topic}|${valueAfter(frame, N_U)}`;
    }
    return null;
  }

  protected override tradeIds(frame: Buffer): TradeIds | null {
    if (!startsWith(frame, P_TRADE_TOPIC)) return null;
    const topic = valueAfter(frame, N_TOPIC);
    const ids = tradeNumbers(frame);
    if (topic === undefined || ids === undefined || ids.length === 0) return null;
    return { symbol: topic.slice('publicTrade.'.length), first: Math.min(...ids), last: Math.max(...ids) };
  }

  protected override async fetchBackfill(inst: Instrument, afterId: number, beforeId: number): Promise<Backfill> {
    const category = inst.market === 'perp' ? 'linear' : 'spot';
    const sym = inst.venueSymbol;
    const url = `${this.restBase}/v5/market/recent-trade?category=${category}&symbol=${encodeURIComponent(sym)}&limit=${RECENT_LIMIT[inst.market]}`;
    const body = asRecord(JSON.parse(await this.rest.get(url)));
    if (body.retCode !== 0) throw new Error(`recent-trade: retCode ${String(body.retCode)} ${String(body.retMsg)}`);
    let oldest = Infinity;
    const trades: Array<{ id: number; text: string }> = [];
    for (const item of asArray(asRecord(body.result).list)) {
      const r = asRecord(item);
      const execId = asString(r.execId);
      const id = bybitTradeNumber(execId);
      if (id === undefined) continue;
      oldest = Math.min(oldest, id);
      if (id <= afterId || id >= beforeId) continue;
      const T = Number(r.time);
      const p = asString(r.price) ?? '';
      const v = asString(r.size) ?? '';
      if (!Number.isSafeInteger(T) || !DECIMAL.test(p) || !DECIMAL.test(v)) continue;
      const S = r.side === 'Sell' ? 'Sell' : 'Buy';
      const seq = Number(r.seq);
      const seqText = Number.isSafeInteger(seq) ? `,"seq":${seq}` : '';
      const s = JSON.stringify(sym);
      // The spot publicTrade layout (key order as Bybit sends it).
      trades.push({
        id,
        text: `{"topic":"publicTrade.${sym}","ts":${T},"type":"snapshot","data":[{"i":"${execId}","T":${T},"p":"${p}","v":"${v}","S":"${S}"${seqText},"s":${s},"BT":${r.isBlockTrade === true},"RPI":${r.isRPITrade === true}}]}`,
      });
    }
    trades.sort((a, b) => a.id - b.id);
    return { frames: trades.map((t) => t.text), trades: trades.length, complete: oldest <= afterId + 1 };
  }

  protected async listInstruments(): Promise<Instrument[]> {
    const markets = new Set<Market>(this.wantedSymbols().map((s) => (s.endsWith('-PERP') ? 'perp' : 'spot')));
    const out: Instrument[] = [];
    for (const market of markets) {
      const category = market === 'perp' ? 'linear' : 'spot';
      const body = asRecord(
        JSON.parse(await this.rest.get(`${this.restBase}/v5/market/instruments-info?category=${category}`)),
      );
      for (const item of asArray(asRecord(body.result).list)) {
        const r = asRecord(item);
        const symbol = asString(r.symbol);
        const base = asString(r.baseCoin);
        const quote = asString(r.quoteCoin);
        if (!symbol || !base || !quote) continue;
        if (market === 'perp' && r.contractType !== undefined && r.contractType !== 'LinearPerpetual') continue;
        out.push({ canonical: canonicalOf(base, quote, market), venueSymbol: symbol, base, quote, market });
      }
    }
    return out;
  }
}
