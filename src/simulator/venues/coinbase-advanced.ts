// Coinbase Advanced Trade (`coinbase-advanced`): one channel per subscribe,
// every frame in the envelope {channel,timestamp,sequence_num,events} with a
// per-connection sequence_num; l2_data snapshot/update, market_trades,
// ticker, heartbeats; REST /api/v3/brokerage/market/{products,product_book,
// products/{id}/ticker} (ticker: the last `limit` trades, ids as in market_trades).
import type { Market } from '../../events';
import { rfc3339Micros, rfc3339Nanos } from '../format';
import type { ModelTrade, StepResult } from '../model';
import {
  CONTROL,
  DATA,
  Fmt,
  Subscriptions,
  isRecord,
  json,
  safeJson,
  type Conn,
  type FrameMeta,
  type RestReply,
  type SimInstrument,
  type VenueAdapter,
  type VenueContext,
} from './types';

interface Product {
  inst: SimInstrument;
  fmt: Fmt;
}

const CHANNELS = ['level2', 'market_trades', 'ticker', 'ticker_batch', 'heartbeats'] as const;
type Channel = (typeof CHANNELS)[number];

export class CoinbaseAdvancedAdapter implements VenueAdapter {
  readonly venue = 'coinbase-advanced' as const;
  private readonly products = new Map<string, Product>();
  private readonly byInst = new Map<SimInstrument, Product>();
  private readonly subs = new Subscriptions();
  private readonly seq = new WeakMap<Conn, number>();
  private heartbeatCounter = 41_000;
  private readonly startUs: number;

  constructor(
    private readonly ctx: VenueContext,
    readonly instruments: readonly SimInstrument[],
  ) {
    for (const inst of instruments) {
      const p: Product = { inst, fmt: new Fmt(inst.spec, 'trim', 'trim') };
      this.products.set(inst.venueSymbol, p);
      this.byInst.set(inst, p);
    }
    this.startUs = ctx.nowUs();
  }

  wsMarket(path: string): Market | null {
    return path === '' || path === '/' ? 'spot' : null;
  }

  onOpen(conn: Conn): void {
    this.seq.set(conn, 0);
  }

  onClose(conn: Conn): void {
    this.subs.removeConn(conn);
  }

  /** Wraps `events` in the envelope with the connection's next sequence_num. */
  private send(conn: Conn, channel: string, ts: number, events: string, meta: FrameMeta): void {
    const n = this.seq.get(conn) ?? 0;
    this.seq.set(conn, n + 1);
    conn.send(
      `{"channel":"${channel}","timestamp":"${rfc3339Nanos(ts)}","sequence_num":${n},"events":${events}}`,
      meta,
    );
  }

  private broadcast(key: string, channel: string, ts: number, events: string): void {
    const set = this.subs.get(key);
    if (!set) return;
    for (const c of set) this.send(c, channel, ts, events, DATA);
  }

  onMessage(conn: Conn, text: string): void {
    const msg = safeJson(text);
    const now = this.ctx.nowUs();
    if (!isRecord(msg) || (msg.type !== 'subscribe' && msg.type !== 'unsubscribe')) {
      conn.send(JSON.stringify({ type: 'error', message: 'failure to subscribe' }), CONTROL);
      return;
    }
    const channel = typeof msg.channel === 'string' ? msg.channel : '';
    if (!(CHANNELS as readonly string[]).includes(channel)) {
      conn.send(
        JSON.stringify({ type: 'error', message: `Failed to subscribe: unknown channel '${channel}'` }),
        CONTROL,
      );
      return;
    }
    const ch = channel as Channel;
    const ids =
      ch === 'heartbeats'
        ? ['heartbeats']
        : Array.isArray(msg.product_ids)
          ? msg.product_ids.filter((x): x is string => typeof x === 'string')
          : [];
    for (const id of ids) {
      if (ch !== 'heartbeats' && !this.products.has(id)) {
        conn.send(
          JSON.stringify({ type: 'error', message: `Failed to subscribe: invalid product_id '${id}'` }),
          CONTROL,
        );
        return;
      }
    }
    const fresh: string[] = [];
    for (const id of ids) {
      if (msg.type === 'subscribe') {
        if (this.subs.add(`${ch}:${id}`, conn)) fresh.push(id);
      } else this.subs.remove(`${ch}:${id}`, conn);
    }
    // Snapshots first, then the subscriptions summary (the order seen in captures).
    for (const id of fresh) {
      const p = this.products.get(id);
      if (p) this.initial(conn, ch, p, now);
    }
    const all: Record<string, string[]> = {};
    for (const key of this.subs.keysOf(conn)) {
      const i = key.indexOf(':');
      const name = key.slice(0, i);
      (all[name] ??= []).push(key.slice(i + 1));
    }
    this.send(conn, 'subscriptions', now, JSON.stringify([{ subscriptions: all }]), CONTROL);
  }

  private initial(conn: Conn, ch: Channel, p: Product, now: number): void {
    const f = p.fmt;
    const id = p.inst.venueSymbol;
    if (ch === 'level2') {
      const t = rfc3339Micros(now);
      const parts: string[] = [];
      for (const [px, sz] of p.inst.model.book.top('bid', 1_000_000)) {
        parts.push(`{"side":"bid","event_time":"${t}","price_level":"${f.px(px)}","new_quantity":"${f.sz(sz)}"}`);
      }
      for (const [px, sz] of p.inst.model.book.top('ask', 1_000_000)) {
        parts.push(`{"side":"offer","event_time":"${t}","price_level":"${f.px(px)}","new_quantity":"${f.sz(sz)}"}`);
      }
      this.send(
        conn,
        'l2_data',
        now,
        `[{"type":"snapshot","product_id":"${id}","updates":[${parts.join(',')}]}]`,
        DATA,
      );
    } else if (ch === 'market_trades') {
      const trades = p.inst.model
        .lastTrades(50)
        .reverse()
        .map((t) => this.trade(p, t));
      this.send(conn, 'market_trades', now, `[{"type":"snapshot","trades":[${trades.join(',')}]}]`, DATA);
    } else if (ch === 'ticker' || ch === 'ticker_batch') {
      this.send(conn, ch, now, `[{"type":"snapshot","tickers":[${this.ticker(p)}]}]`, DATA);
    }
  }

  private trade(p: Product, t: ModelTrade): string {
    // `side` names the maker: the reverse of the taker.
    const maker = t.side === 'buy' ? 'SELL' : 'BUY';
    return `{"product_id":"${p.inst.venueSymbol}","trade_id":"${t.id}","price":"${p.fmt.px(t.price)}","size":"${p.fmt.sz(t.size)}","time":"${rfc3339Micros(t.ts)}","side":"${maker}"}`;
  }

  private ticker(p: Product): string {
    const m = p.inst.model;
    const f = p.fmt;
    const top = m.top();
    const chg = m.open > 0 ? ((m.lastPrice - m.open) / m.open) * 100 : 0;
    const bbo = top
      ? `"best_bid":"${f.px(top.bidPx)}","best_ask":"${f.px(top.askPx)}","best_bid_quantity":"${f.sz(top.bidSz)}","best_ask_quantity":"${f.sz(top.askSz)}"`
      : '"best_bid":"0","best_ask":"0","best_bid_quantity":"0","best_ask_quantity":"0"';
    return `{"type":"ticker","product_id":"${p.inst.venueSymbol}","price":"${f.px(m.lastPrice)}","volume_24_h":"${f.sz(m.volume)}","low_24_h":"${f.px(m.low)}","high_24_h":"${f.px(m.high)}","low_52_w":"${f.px(m.low)}","high_52_w":"${f.px(m.high)}","price_percent_chg_24_h":"${chg.toFixed(14)}",${bbo}}`;
  }

  onStep(inst: SimInstrument, step: StepResult): void {
    const p = this.byInst.get(inst)!;
    const id = inst.venueSymbol;
    if (step.trades.length > 0 && this.subs.has(`market_trades:${id}`)) {
      const list = step.trades
        .map((t) => this.trade(p, t))
        .reverse()
        .join(',');
      this.broadcast(`market_trades:${id}`, 'market_trades', step.ts, `[{"type":"update","trades":[${list}]}]`);
    }
    if (step.changes.length > 0 && this.subs.has(`level2:${id}`)) {
      const t = rfc3339Micros(step.ts);
      let parts = '';
      for (const c of step.changes) {
        const e = `{"side":"${c.side === 'bid' ? 'bid' : 'offer'}","event_time":"${t}","price_level":"${p.fmt.px(c.price)}","new_quantity":"${p.fmt.sz(c.size)}"}`;
        parts += parts ? `,${e}` : e;
      }
      this.broadcast(
        `level2:${id}`,
        'l2_data',
        step.ts,
        `[{"type":"update","product_id":"${id}","updates":[${parts}]}]`,
      );
    }
    if (step.top || step.trades.length > 0) {
      for (const ch of ['ticker', 'ticker_batch']) {
        if (this.subs.has(`${ch}:${id}`)) {
          this.broadcast(`${ch}:${id}`, ch, step.ts, `[{"type":"update","tickers":[${this.ticker(p)}]}]`);
        }
      }
    }
  }

  onSecond(): void {
    const set = this.subs.get('heartbeats:heartbeats');
    if (!set) return;
    const now = this.ctx.nowUs();
    this.heartbeatCounter++;
    const up = ((now - this.startUs) / 1e6).toFixed(9);
    const current = `${rfc3339Nanos(now).replace('T', ' ').replace('Z', '')} +0000 UTC m=+${up}`;
    for (const c of set) {
      this.send(
        c,
        'heartbeats',
        now,
        `[{"current_time":"${current}","heartbeat_counter":${this.heartbeatCounter}}]`,
        DATA,
      );
    }
  }

  shutdownNotice(): string | null {
    return null;
  }

  restError(status: 429 | 500): RestReply {
    return status === 429
      ? json(429, { error: 'RATE_LIMIT_EXCEEDED', error_details: '', message: 'Too many requests' })
      : json(500, { error: 'INTERNAL', error_details: '', message: 'internal error' });
  }

  rest(path: string, query: URLSearchParams): RestReply | null {
    const base = '/api/v3/brokerage/market';
    if (path === `${base}/products`) {
      const list = [...this.products.values()].map((p) => this.productInfo(p));
      return json(200, { products: list, num_products: list.length });
    }
    const ticker = /^\/products\/([^/]+)\/ticker$/.exec(path.slice(base.length));
    if (ticker) {
      const p = this.products.get(decodeURIComponent(ticker[1]!));
      if (!p) return json(404, { error: 'NOT_FOUND', message: 'product not found' });
      const limit = Number.parseInt(query.get('limit') ?? '', 10);
      if (!Number.isFinite(limit) || limit < 1) {
        return json(400, {
          error: 'INVALID_ARGUMENT',
          error_details: 'limit is required',
          message: 'limit is required',
        });
      }
      const top = p.inst.model.top();
      const trades = p.inst.model
        .lastTrades(Math.min(limit, 1000))
        .reverse()
        .map((t) => ({
          trade_id: String(t.id),
          product_id: p.inst.venueSymbol,
          price: p.fmt.px(t.price),
          size: p.fmt.sz(t.size),
          time: rfc3339Micros(t.ts),
          // The maker's side, as in market_trades.
          side: t.side === 'buy' ? 'SELL' : 'BUY',
          bid: '',
          ask: '',
          exchange: 'COINBASE',
        }));
      return json(200, {
        trades,
        best_bid: top ? p.fmt.px(top.bidPx) : '',
        best_ask: top ? p.fmt.px(top.askPx) : '',
      });
    }
    if (path.startsWith(`${base}/products/`)) {
      const p = this.products.get(decodeURIComponent(path.slice(base.length + 10)));
      return p ? json(200, this.productInfo(p)) : json(404, { error: 'NOT_FOUND', message: 'product not found' });
    }
    if (path === `${base}/product_book`) {
      const p = this.products.get(query.get('product_id') ?? '');
      if (!p) return json(404, { error: 'NOT_FOUND', message: 'product not found' });
      const limit = Number.parseInt(query.get('limit') ?? '0', 10) || 1_000_000;
      const side = (s: 'bid' | 'ask'): Array<{ price: string; size: string }> =>
        p.inst.model.book.top(s, limit).map(([px, sz]) => ({ price: p.fmt.px(px), size: p.fmt.sz(sz) }));
      return json(200, {
        pricebook: {
          product_id: p.inst.venueSymbol,
          bids: side('bid'),
          asks: side('ask'),
          time: rfc3339Micros(this.ctx.nowUs()),
        },
      });
    }
    return null;
  }

  private productInfo(p: Product): unknown {
    const spec = p.inst.spec;
    return {
      product_id: p.inst.venueSymbol,
      price: p.fmt.px(p.inst.model.lastPrice),
      base_increment: p.fmt.sz(1),
      quote_increment: p.fmt.px(1),
      price_increment: p.fmt.px(1),
      base_currency_id: spec.base,
      quote_currency_id: spec.quote,
      base_name: spec.base,
      quote_name: spec.quote,
      status: 'online',
      product_type: 'SPOT',
      trading_disabled: false,
      is_disabled: false,
      cancel_only: false,
      limit_only: false,
      post_only: false,
      auction_mode: false,
    };
  }
}

export function createCoinbaseAdvanced(
  ctx: VenueContext,
  instruments: readonly SimInstrument[],
): CoinbaseAdvancedAdapter {
  return new CoinbaseAdvancedAdapter(ctx, instruments);
}
