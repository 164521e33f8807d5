// Kraken Spot WebSocket v2 (`kraken`): `/v2`, method subscribe/unsubscribe
// with one ack per symbol, book snapshot/update truncated to the subscribed
// depth with the documented CRC32 over the top 10 levels, trade, ticker,
// heartbeat, status, ping/pong; REST /0/public/{AssetPairs,Depth,Trades,Time}
// (Trades from the model's trade history, the same ids and prices as `trade`).
import type { Market } from '../../events';
import { crc32, krakenChecksumPart, rfc3339Micros } from '../format';
import type { StepResult } from '../model';
import { DepthView, type ViewUpdate } from '../view';
import {
  CONTROL,
  DATA,
  DATA_CHECKSUM,
  Fmt,
  Subscriptions,
  isRecord,
  json,
  safeJson,
  type Conn,
  type RestReply,
  type SimInstrument,
  type VenueAdapter,
  type VenueContext,
} from './types';

const DEPTHS = [10, 25, 100, 500, 1000];

interface Pair {
  inst: SimInstrument;
  fmt: Fmt;
  /** One truncated view per subscribed depth. */
  views: Map<number, DepthView>;
}

/** REST spells bitcoin XBT. */
function restName(base: string, quote: string): string {
  return `${base === 'BTC' ? 'XBT' : base}${quote === 'BTC' ? 'XBT' : quote}`;
}

export class KrakenAdapter implements VenueAdapter {
  readonly venue = 'kraken' as const;
  private readonly pairs = new Map<string, Pair>();
  private readonly byInst = new Map<SimInstrument, Pair>();
  private readonly subs = new Subscriptions();
  private readonly lastSent = new WeakMap<Conn, number>();
  private readonly conns = new Set<Conn>();

  constructor(
    private readonly ctx: VenueContext,
    readonly instruments: readonly SimInstrument[],
  ) {
    for (const inst of instruments) {
      const p: Pair = { inst, fmt: new Fmt(inst.spec, inst.spec.priceExp, 8), views: new Map() };
      this.pairs.set(inst.venueSymbol, p);
      this.byInst.set(inst, p);
    }
  }

  wsMarket(path: string): Market | null {
    return path === '/v2' ? 'spot' : null;
  }

  onOpen(conn: Conn): void {
    this.conns.add(conn);
    conn.send(
      `{"channel":"status","type":"update","data":[{"version":"2.0.10","system":"online","api_version":"v2","connection_id":${1_000_000_000 + conn.id}}]}`,
      CONTROL,
    );
  }

  onClose(conn: Conn): void {
    this.subs.removeConn(conn);
    this.conns.delete(conn);
  }

  private out(conn: Conn, text: string, meta = DATA): void {
    this.lastSent.set(conn, this.ctx.nowUs());
    conn.send(text, meta);
  }

  onMessage(conn: Conn, text: string): void {
    const msg = safeJson(text);
    const timeIn = rfc3339Micros(this.ctx.nowUs());
    if (!isRecord(msg)) {
      this.out(
        conn,
        JSON.stringify({ error: 'Malformed request', success: false, time_in: timeIn, time_out: timeIn }),
        CONTROL,
      );
      return;
    }
    const reqId = typeof msg.req_id === 'number' ? msg.req_id : undefined;
    const withReq = <T extends object>(o: T): T & { req_id?: number } =>
      reqId === undefined ? o : { ...o, req_id: reqId };
    const method = msg.method;
    if (method === 'ping') {
      this.out(
        conn,
        JSON.stringify(withReq({ method: 'pong', time_in: timeIn, time_out: rfc3339Micros(this.ctx.nowUs()) })),
        CONTROL,
      );
      return;
    }
    if (method !== 'subscribe' && method !== 'unsubscribe') {
      this.out(
        conn,
        JSON.stringify(
          withReq({ error: `Method not found`, method, success: false, time_in: timeIn, time_out: timeIn }),
        ),
        CONTROL,
      );
      return;
    }
    const params = isRecord(msg.params) ? msg.params : {};
    const channel = typeof params.channel === 'string' ? params.channel : '';
    const symbols = Array.isArray(params.symbol) ? params.symbol.filter((s): s is string => typeof s === 'string') : [];
    const snapshot = params.snapshot !== false;
    const depth = typeof params.depth === 'number' ? params.depth : 10;
    if (!['book', 'trade', 'ticker'].includes(channel) || (channel === 'book' && !DEPTHS.includes(depth))) {
      const error = channel === 'book' ? 'Invalid depth' : `Channel ${channel} not found`;
      this.out(
        conn,
        JSON.stringify(withReq({ error, method, success: false, time_in: timeIn, time_out: timeIn })),
        CONTROL,
      );
      return;
    }
    for (const symbol of symbols) {
      const p = this.pairs.get(symbol);
      const timeOut = rfc3339Micros(this.ctx.nowUs());
      if (!p) {
        this.out(
          conn,
          JSON.stringify(
            withReq({
              error: `Currency pair not supported ${symbol}`,
              method,
              success: false,
              symbol,
              time_in: timeIn,
              time_out: timeOut,
            }),
          ),
          CONTROL,
        );
        continue;
      }
      const key = channel === 'book' ? `book:${depth}:${symbol}` : `${channel}:${symbol}`;
      const result = channel === 'book' ? { channel, depth, snapshot, symbol } : { channel, snapshot, symbol };
      if (method === 'unsubscribe') {
        this.subs.remove(key, conn);
        this.out(
          conn,
          JSON.stringify(
            withReq({
              method,
              result: channel === 'book' ? { channel, depth, symbol } : { channel, symbol },
              success: true,
              time_in: timeIn,
              time_out: timeOut,
            }),
          ),
          CONTROL,
        );
        continue;
      }
      const fresh = this.subs.add(key, conn);
      this.out(
        conn,
        JSON.stringify(withReq({ method, result, success: true, time_in: timeIn, time_out: timeOut })),
        CONTROL,
      );
      if (!fresh) continue;
      if (channel === 'book') {
        let view = p.views.get(depth);
        if (!view) p.views.set(depth, (view = new DepthView(p.inst.model, depth, false, 0)));
        if (snapshot)
          this.out(
            conn,
            this.bookFrame(p, view, 'snapshot', view.levels('bid'), view.levels('ask'), null),
            DATA_CHECKSUM,
          );
      } else if (channel === 'trade' && snapshot) {
        const trades = p.inst.model.lastTrades(50);
        if (trades.length > 0) this.out(conn, this.tradeFrame(p, 'snapshot', trades));
      } else if (channel === 'ticker' && snapshot) {
        this.out(conn, this.tickerFrame(p, 'snapshot'));
      }
    }
  }

  private levelsText(p: Pair, levels: ReadonlyArray<readonly [number, number]>): string {
    let s = '';
    for (const [px, sz] of levels) {
      const e = `{"price":${p.fmt.px(px)},"qty":${p.fmt.sz(sz)}}`;
      s += s ? `,${e}` : e;
    }
    return s;
  }

  /** Checksum over the view's top 10 asks (low→high) then top 10 bids (high→low). */
  checksum(p: Pair, view: DepthView): number {
    let s = '';
    for (const [px, sz] of view.levels('ask').slice(0, 10))
      s += krakenChecksumPart(p.fmt.px(px)) + krakenChecksumPart(p.fmt.sz(sz));
    for (const [px, sz] of view.levels('bid').slice(0, 10))
      s += krakenChecksumPart(p.fmt.px(px)) + krakenChecksumPart(p.fmt.sz(sz));
    return crc32(s);
  }

  private bookFrame(
    p: Pair,
    view: DepthView,
    type: 'snapshot' | 'update',
    bids: ReadonlyArray<readonly [number, number]>,
    asks: ReadonlyArray<readonly [number, number]>,
    ts: number | null,
  ): string {
    const time = ts === null ? '' : `,"timestamp":"${rfc3339Micros(ts)}"`;
    return `{"channel":"book","type":"${type}","data":[{"symbol":"${p.inst.venueSymbol}","bids":[${this.levelsText(p, bids)}],"asks":[${this.levelsText(p, asks)}],"checksum":${this.checksum(p, view)}${time}}]}`;
  }

  private tradeFrame(p: Pair, type: string, trades: StepResult['trades']): string {
    const parts = trades.map(
      (t) =>
        `{"symbol":"${p.inst.venueSymbol}","side":"${t.side}","price":${p.fmt.px(t.price)},"qty":${p.fmt.sz(t.size)},"ord_type":"market","trade_id":${t.id},"timestamp":"${rfc3339Micros(t.ts)}"}`,
    );
    return `{"channel":"trade","type":"${type}","data":[${parts.join(',')}]}`;
  }

  private tickerFrame(p: Pair, type: string): string {
    const m = p.inst.model;
    const f = p.fmt;
    const top = m.top();
    const vwap = m.volume > 0 ? m.turnover / m.volume : m.lastPrice;
    const change = m.lastPrice - m.open;
    const pct = m.open > 0 ? (change / m.open) * 100 : 0;
    const bbo = top
      ? `"bid":${f.px(top.bidPx)},"bid_qty":${f.sz(top.bidSz)},"ask":${f.px(top.askPx)},"ask_qty":${f.sz(top.askSz)}`
      : '"bid":0,"bid_qty":0,"ask":0,"ask_qty":0';
    return `{"channel":"ticker","type":"${type}","data":[{"symbol":"${p.inst.venueSymbol}",${bbo},"last":${f.px(m.lastPrice)},"volume":${f.sz(m.volume)},"vwap":${f.pxAny(vwap)},"low":${f.px(m.low)},"high":${f.px(m.high)},"change":${change >= 0 ? '' : '-'}${f.px(Math.abs(change))},"change_pct":${pct.toFixed(2)}}]}`;
  }

  onStep(inst: SimInstrument, step: StepResult): void {
    const p = this.byInst.get(inst)!;
    const sym = inst.venueSymbol;
    if (step.trades.length > 0) {
      const set = this.subs.get(`trade:${sym}`);
      if (set) {
        const text = this.tradeFrame(p, 'update', step.trades);
        for (const c of set) this.out(c, text);
      }
    }
    if (step.changes.length > 0) {
      for (const [depth, view] of p.views) {
        const d = view.diff(step.changes);
        if (d.bids.length === 0 && d.asks.length === 0) continue;
        const set = this.subs.get(`book:${depth}:${sym}`);
        if (!set) continue;
        const text = this.bookFrame(p, view, 'update', pairs(d.bids), pairs(d.asks), step.ts);
        for (const c of set) this.out(c, text, DATA_CHECKSUM);
      }
    }
    if (step.top) {
      const set = this.subs.get(`ticker:${sym}`);
      if (set) {
        const text = this.tickerFrame(p, 'update');
        for (const c of set) this.out(c, text);
      }
    }
  }

  onSecond(): void {
    // Heartbeat to subscribed connections that got nothing in the last second.
    const now = this.ctx.nowUs();
    for (const c of this.conns) {
      if (this.subs.keysOf(c).length === 0) continue;
      const last = this.lastSent.get(c) ?? 0;
      if (now - last >= 1_000_000) this.out(c, '{"channel":"heartbeat"}');
    }
  }

  shutdownNotice(conn: Conn): string | null {
    return `{"channel":"status","type":"update","data":[{"api_version":"v2","connection_id":${1_000_000_000 + conn.id},"system":"maintenance","version":"2.0.10"}]}`;
  }

  restError(status: 429 | 500): RestReply {
    return status === 429
      ? json(429, { error: ['EAPI:Rate limit exceeded'] })
      : json(500, { error: ['EService:Unavailable'] });
  }

  rest(path: string, query: URLSearchParams): RestReply | null {
    const byRest = new Map<string, Pair>();
    for (const p of this.pairs.values()) byRest.set(restName(p.inst.spec.base, p.inst.spec.quote), p);
    if (path === '/0/public/Time') {
      const now = this.ctx.nowUs();
      return json(200, {
        error: [],
        result: { unixtime: Math.floor(now / 1e6), rfc1123: new Date(now / 1000).toUTCString() },
      });
    }
    if (path === '/0/public/AssetPairs') {
      const result: Record<string, unknown> = {};
      for (const [name, p] of byRest) {
        const spec = p.inst.spec;
        const wsBase = spec.base === 'BTC' ? 'XBT' : spec.base;
        result[name] = {
          altname: name,
          wsname: `${wsBase}/${spec.quote}`,
          aclass_base: 'currency',
          base: spec.base === 'BTC' ? 'XXBT' : spec.base,
          aclass_quote: 'currency',
          quote: spec.quote,
          lot: 'unit',
          cost_decimals: 5,
          pair_decimals: spec.priceExp,
          lot_decimals: 8,
          lot_multiplier: 1,
          leverage_buy: [],
          leverage_sell: [],
          fees: [[0, 0.4]],
          fees_maker: [[0, 0.25]],
          fee_volume_currency: 'ZUSD',
          margin_call: 80,
          margin_stop: 40,
          ordermin: p.fmt.sz(1),
          costmin: '0.5',
          tick_size: p.fmt.px(1),
          status: 'online',
        };
      }
      return json(200, { error: [], result });
    }
    if (path === '/0/public/Trades') {
      const name = query.get('pair') ?? '';
      const p = byRest.get(name) ?? this.pairs.get(name);
      if (!p) return json(200, { error: ['EQuery:Unknown asset pair'] });
      const count = Math.min(1000, Math.max(1, Number.parseInt(query.get('count') ?? '1000', 10) || 1000));
      // `since`: seconds (may be fractional) or, like the `last` cursor, nanoseconds; exclusive.
      const sinceText = query.get('since');
      const sinceNum = sinceText === null || sinceText === '' ? NaN : Number(sinceText);
      // Each trade's cursor value: its time in ns, plus its rank among trades of the same µs (distinct, rising).
      const all = p.inst.model.lastTrades(Number.MAX_SAFE_INTEGER);
      const keys: bigint[] = [];
      for (let i = 0; i < all.length; i++) {
        const k = BigInt(all[i]!.ts) * 1000n;
        const prev = keys[i - 1];
        keys.push(prev !== undefined && prev >= k ? prev + 1n : k);
      }
      let list: typeof all;
      let listKeys: bigint[];
      if (!Number.isFinite(sinceNum)) {
        list = all.slice(-count);
        listKeys = keys.slice(-count);
      } else {
        const from = /^\d{15,}$/.test(sinceText!)
          ? keys.findIndex((k) => k > BigInt(sinceText!))
          : all.findIndex((t) => t.ts > sinceNum * 1e6);
        list = from < 0 ? [] : all.slice(from, from + count);
        listKeys = from < 0 ? [] : keys.slice(from, from + count);
      }
      const rows = list.map(
        (t) =>
          `["${p.fmt.px(t.price)}","${p.fmt.sz(t.size)}",${secondsText(t.ts)},"${t.side === 'buy' ? 'b' : 's'}","m","",${t.id}]`,
      );
      // The cursor for the next poll: the newest returned trade's (or `since` again).
      const newest = listKeys[listKeys.length - 1];
      const last = newest !== undefined ? String(newest) : (sinceText ?? `${this.ctx.nowUs()}000`);
      const key = restKey(p.inst.spec.base, p.inst.spec.quote);
      return {
        status: 200,
        body: `{"error":[],"result":{${JSON.stringify(key)}:[${rows.join(',')}],"last":${JSON.stringify(last)}}}`,
      };
    }
    if (path === '/0/public/Depth') {
      const name = query.get('pair') ?? '';
      const p = byRest.get(name) ?? this.pairs.get(name);
      if (!p) return json(200, { error: ['EQuery:Unknown asset pair'] });
      const count = Math.min(500, Math.max(1, Number.parseInt(query.get('count') ?? '100', 10) || 100));
      const t = Math.floor(this.ctx.nowUs() / 1e6);
      const side = (s: 'bid' | 'ask'): Array<[string, string, number]> =>
        p.inst.model.book.top(s, count).map(([px, sz]) => [p.fmt.px(px), p.fmt.sz(sz), t]);
      return json(200, {
        error: [],
        result: { [restName(p.inst.spec.base, p.inst.spec.quote)]: { asks: side('ask'), bids: side('bid') } },
      });
    }
    return null;
  }
}

/** The result key of REST replies: Kraken's full pair name (`XXBTZUSD`) for the classic pairs, else the altname. */
function restKey(base: string, quote: string): string {
  const x = (a: string): string => (a === 'BTC' ? 'XXBT' : a === 'ETH' ? 'XETH' : a);
  const z = (a: string): string => (a === 'USD' || a === 'EUR' ? `Z${a}` : a);
  return (base === 'BTC' || base === 'ETH') && (quote === 'USD' || quote === 'EUR')
    ? `${x(base)}${z(quote)}`
    : restName(base, quote);
}

/** µs → seconds as a JSON number with 6 decimals (`1767225600.123456`). */
function secondsText(us: number): string {
  return `${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')}`;
}

function pairs(updates: readonly ViewUpdate[]): Array<[number, number]> {
  return updates.map((u) => [u.price, u.size]);
}

export function createKraken(ctx: VenueContext, instruments: readonly SimInstrument[]): KrakenAdapter {
  return new KrakenAdapter(ctx, instruments);
}
