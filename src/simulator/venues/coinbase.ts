// Coinbase Exchange ws-feed (`coinbase`): subscribe/unsubscribe with
// `subscriptions` replies, level2 snapshot + l2update, match / last_match,
// ticker, heartbeat; REST /products and /products/{id}/book.
import type { Market } from '../../events';
import { rfc3339Micros } from '../format';
import type { ModelTrade, StepResult } from '../model';
import {
  CONTROL,
  DATA,
  Fmt,
  Subscriptions,
  isRecord,
  json,
  safeJson,
  uuidFrom,
  type Conn,
  type RestReply,
  type SimInstrument,
  type VenueAdapter,
  type VenueContext,
} from './types';

interface Product {
  inst: SimInstrument;
  fmt: Fmt;
  /** Per-product sequence: +1 per order-book event of the full feed. */
  sequence: number;
  lastTradeSeq: number;
}

const CHANNELS = ['level2', 'level2_batch', 'matches', 'ticker', 'ticker_batch', 'heartbeat'] as const;
type Channel = (typeof CHANNELS)[number];

export class CoinbaseAdapter implements VenueAdapter {
  readonly venue = 'coinbase' as const;
  private readonly products = new Map<string, Product>();
  private readonly byInst = new Map<SimInstrument, Product>();
  private readonly subs = new Subscriptions();

  constructor(
    private readonly ctx: VenueContext,
    readonly instruments: readonly SimInstrument[],
  ) {
    for (const inst of instruments) {
      const p: Product = {
        inst,
        fmt: new Fmt(inst.spec, Math.max(2, inst.spec.priceExp), 8),
        sequence: 30_000_000,
        lastTradeSeq: 30_000_000,
      };
      this.products.set(inst.venueSymbol, p);
      this.byInst.set(inst, p);
    }
  }

  wsMarket(path: string): Market | null {
    return path === '' || path === '/' ? 'spot' : null;
  }

  onOpen(): void {}

  onClose(conn: Conn): void {
    this.subs.removeConn(conn);
  }

  onMessage(conn: Conn, text: string): void {
    const msg = safeJson(text);
    if (!isRecord(msg) || (msg.type !== 'subscribe' && msg.type !== 'unsubscribe')) {
      conn.send(JSON.stringify({ type: 'error', message: 'Failed to subscribe', reason: 'type is required' }), CONTROL);
      return;
    }
    const topIds = Array.isArray(msg.product_ids)
      ? msg.product_ids.filter((x): x is string => typeof x === 'string')
      : [];
    const wanted: Array<[Channel, string]> = [];
    for (const ch of Array.isArray(msg.channels) ? msg.channels : []) {
      const name = typeof ch === 'string' ? ch : isRecord(ch) && typeof ch.name === 'string' ? ch.name : '';
      const ids =
        isRecord(ch) && Array.isArray(ch.product_ids)
          ? ch.product_ids.filter((x): x is string => typeof x === 'string')
          : topIds;
      if (!(CHANNELS as readonly string[]).includes(name)) {
        conn.send(
          JSON.stringify({ type: 'error', message: 'Failed to subscribe', reason: `${name} is not a valid channel` }),
          CONTROL,
        );
        return;
      }
      for (const id of ids) {
        if (!this.products.has(id)) {
          conn.send(
            JSON.stringify({ type: 'error', message: 'Failed to subscribe', reason: `${id} is not a valid product` }),
            CONTROL,
          );
          return;
        }
        wanted.push([name as Channel, id]);
      }
    }
    const fresh: Array<[Channel, string]> = [];
    for (const [ch, id] of wanted) {
      if (msg.type === 'subscribe') {
        if (this.subs.add(`${ch}:${id}`, conn)) fresh.push([ch, id]);
      } else this.subs.remove(`${ch}:${id}`, conn);
    }
    // The reply lists every channel of the connection.
    const byChannel = new Map<string, string[]>();
    for (const key of this.subs.keysOf(conn)) {
      const [ch, id] = key.split(':') as [string, string];
      const list = byChannel.get(ch) ?? [];
      list.push(id);
      byChannel.set(ch, list);
    }
    conn.send(
      JSON.stringify({
        type: 'subscriptions',
        channels: [...byChannel].map(([name, product_ids]) => ({ name, product_ids })),
      }),
      CONTROL,
    );
    for (const [ch, id] of fresh) this.initial(conn, ch, this.products.get(id)!);
  }

  /** What a new subscription gets first: the level2 snapshot, the last match, the current ticker. */
  private initial(conn: Conn, ch: Channel, p: Product): void {
    const book = p.inst.model.book;
    if (ch === 'level2' || ch === 'level2_batch') {
      const side = (s: 'bid' | 'ask'): string[][] =>
        book.top(s, 1_000_000).map(([px, sz]) => [p.fmt.px(px), p.fmt.sz(sz)]);
      conn.send(
        JSON.stringify({ type: 'snapshot', product_id: p.inst.venueSymbol, bids: side('bid'), asks: side('ask') }),
        DATA,
      );
    } else if (ch === 'matches') {
      const last = p.inst.model.lastTrades(1)[0];
      if (last) conn.send(this.match(p, last, 'last_match', p.lastTradeSeq), DATA);
    } else if (ch === 'ticker' || ch === 'ticker_batch') {
      const last = p.inst.model.lastTrades(1)[0];
      if (last) conn.send(this.ticker(p, last, p.lastTradeSeq), DATA);
    }
  }

  private match(p: Product, t: ModelTrade, type: string, sequence: number): string {
    // `side` is the maker's side: the reverse of the taker.
    const maker = t.side === 'buy' ? 'sell' : 'buy';
    return `{"type":"${type}","trade_id":${t.id},"maker_order_id":"${uuidFrom(t.id, 1)}","taker_order_id":"${uuidFrom(t.id, 2)}","side":"${maker}","size":"${p.fmt.sz(t.size)}","price":"${p.fmt.px(t.price)}","product_id":"${p.inst.venueSymbol}","sequence":${sequence},"time":"${rfc3339Micros(t.ts)}"}`;
  }

  private ticker(p: Product, t: ModelTrade, sequence: number): string {
    const m = p.inst.model;
    const top = m.top();
    const f = p.fmt;
    const bbo = top
      ? `"best_bid":"${f.px(top.bidPx)}","best_bid_size":"${f.sz(top.bidSz)}","best_ask":"${f.px(top.askPx)}","best_ask_size":"${f.sz(top.askSz)}"`
      : '"best_bid":"0","best_bid_size":"0","best_ask":"0","best_ask_size":"0"';
    return `{"type":"ticker","sequence":${sequence},"product_id":"${p.inst.venueSymbol}","price":"${f.px(t.price)}","open_24h":"${f.px(m.open)}","volume_24h":"${f.sz(m.volume)}","low_24h":"${f.px(m.low)}","high_24h":"${f.px(m.high)}","volume_30d":"${f.sz(m.volume)}",${bbo},"side":"${t.side}","time":"${rfc3339Micros(t.ts)}","trade_id":${t.id},"last_size":"${f.sz(t.size)}"}`;
  }

  onStep(inst: SimInstrument, step: StepResult): void {
    const p = this.byInst.get(inst)!;
    const id = inst.venueSymbol;
    const matches = this.subs.get(`matches:${id}`);
    for (const t of step.trades) {
      p.sequence++;
      p.lastTradeSeq = p.sequence;
      if (matches) {
        const text = this.match(p, t, 'match', p.sequence);
        for (const c of matches) c.send(text, DATA);
      }
    }
    if (step.changes.length > 0) {
      p.sequence += step.changes.length;
      const l2 = this.subs.get(`level2:${id}`);
      const l2b = this.subs.get(`level2_batch:${id}`);
      if (l2 || l2b) {
        let changes = '';
        for (const c of step.changes) {
          const e = `["${c.side === 'bid' ? 'buy' : 'sell'}","${p.fmt.px(c.price)}","${p.fmt.sz(c.size)}"]`;
          changes += changes ? `,${e}` : e;
        }
        const text = `{"type":"l2update","product_id":"${id}","changes":[${changes}],"time":"${rfc3339Micros(step.ts)}"}`;
        if (l2) for (const c of l2) c.send(text, DATA);
        if (l2b) for (const c of l2b) c.send(text, DATA);
      }
    }
    const last = step.trades[step.trades.length - 1];
    if (last) {
      const tk = this.subs.get(`ticker:${id}`);
      const tkb = this.subs.get(`ticker_batch:${id}`);
      if (tk || tkb) {
        const text = this.ticker(p, last, p.lastTradeSeq);
        if (tk) for (const c of tk) c.send(text, DATA);
        if (tkb) for (const c of tkb) c.send(text, DATA);
      }
    }
  }

  onSecond(): void {
    const time = rfc3339Micros(this.ctx.nowUs());
    for (const p of this.products.values()) {
      const hb = this.subs.get(`heartbeat:${p.inst.venueSymbol}`);
      if (!hb) continue;
      const lastId = p.inst.model.lastTrades(1)[0]?.id ?? 0;
      const text = `{"type":"heartbeat","sequence":${p.sequence},"last_trade_id":${lastId},"product_id":"${p.inst.venueSymbol}","time":"${time}"}`;
      for (const c of hb) c.send(text, DATA);
    }
  }

  shutdownNotice(): string | null {
    return null;
  }

  restError(status: 429 | 500): RestReply {
    return status === 429
      ? json(429, { message: 'Rate limit exceeded' })
      : json(500, { message: 'Internal server error' });
  }

  rest(path: string, query: URLSearchParams): RestReply | null {
    if (path === '/products')
      return json(
        200,
        [...this.products.values()].map((p) => this.productInfo(p)),
      );
    const m = /^\/products\/([^/]+)(\/book|\/ticker|\/trades)?$/.exec(path);
    if (!m) return null;
    const p = this.products.get(decodeURIComponent(m[1]!));
    if (!p) return json(404, { message: 'NotFound' });
    const f = p.fmt;
    const model = p.inst.model;
    const time = rfc3339Micros(this.ctx.nowUs());
    if (m[2] === undefined) return json(200, this.productInfo(p));
    if (m[2] === '/book') {
      const level = query.get('level') ?? '1';
      const n = level === '1' ? 1 : level === '2' ? 1_000_000 : -1;
      if (n < 0) return json(400, { message: 'Invalid level' });
      const side = (s: 'bid' | 'ask'): string[][] =>
        model.book.top(s, n).map(([px, sz]) => [f.px(px), f.sz(sz), String(1 + (sz % 7))]);
      return json(200, {
        bids: side('bid'),
        asks: side('ask'),
        sequence: p.sequence,
        auction_mode: false,
        auction: null,
        time,
      });
    }
    if (m[2] === '/ticker') {
      const top = model.top();
      const last = model.lastTrades(1)[0];
      return json(200, {
        ask: top ? f.px(top.askPx) : '0',
        bid: top ? f.px(top.bidPx) : '0',
        volume: f.sz(model.volume),
        trade_id: last?.id ?? 0,
        price: f.px(model.lastPrice),
        size: f.sz(model.lastSize),
        time,
      });
    }
    return json(
      200,
      model
        .lastTrades(100)
        .reverse()
        .map((t) => ({
          trade_id: t.id,
          side: t.side === 'buy' ? 'sell' : 'buy',
          size: f.sz(t.size),
          price: f.px(t.price),
          time: rfc3339Micros(t.ts),
        })),
    );
  }

  private productInfo(p: Product): unknown {
    const spec = p.inst.spec;
    return {
      id: p.inst.venueSymbol,
      base_currency: spec.base,
      quote_currency: spec.quote,
      quote_increment: p.fmt.px(1),
      base_increment: p.fmt.sz(1),
      display_name: `${spec.base}/${spec.quote}`,
      min_market_funds: '1',
      margin_enabled: false,
      post_only: false,
      limit_only: false,
      cancel_only: false,
      status: 'online',
      status_message: '',
      trading_disabled: false,
      fx_stablecoin: false,
      max_slippage_percentage: '0.02000000',
      auction_mode: false,
      high_bid_limit_percentage: '',
    };
  }
}

export function createCoinbase(ctx: VenueContext, instruments: readonly SimInstrument[]): CoinbaseAdapter {
  return new CoinbaseAdapter(ctx, instruments);
}
