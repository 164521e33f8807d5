// Bybit v5 public (`bybit`): `/v5/public/spot` and `/v5/public/linear`,
// op subscribe/unsubscribe/ping, orderbook.{1,50,200,1000} snapshot + delta
// (`u` +1 per delta, cross sequence `seq`), publicTrade, tickers; REST
// /v5/market/{instruments-info,orderbook,recent-trade} (recent-trade ids are
// the WebSocket ids; spot returns at most the last 60 trades).
import type { Market } from '../../events';
import type { StepResult } from '../model';
import { DepthView, type ViewUpdate } from '../view';
import {
  CONTROL,
  DATA,
  Fmt,
  Subscriptions,
  isRecord,
  safeJson,
  uuidFrom,
  type Conn,
  type RestReply,
  type SimInstrument,
  type VenueAdapter,
  type VenueContext,
} from './types';

const DEPTHS = [1, 50, 200, 1000];

interface BybitInst {
  inst: SimInstrument;
  fmt: Fmt;
  /** Cross sequence: rises with every book change. */
  seq: number;
  /** Book update id for REST. */
  updateId: number;
  views: Map<number, DepthView>;
}

export class BybitAdapter implements VenueAdapter {
  readonly venue = 'bybit' as const;
  /** `${market}:${symbol}` → instrument. */
  private readonly insts = new Map<string, BybitInst>();
  private readonly byInst = new Map<SimInstrument, BybitInst>();
  private readonly subs = new Subscriptions();

  constructor(
    private readonly ctx: VenueContext,
    readonly instruments: readonly SimInstrument[],
  ) {
    for (const inst of instruments) {
      const perp = inst.market === 'perp';
      const b: BybitInst = {
        inst,
        fmt: new Fmt(inst.spec, perp ? Math.max(2, inst.spec.priceExp) : inst.spec.priceExp, inst.spec.sizeExp),
        seq: perp ? 270_000_000_000 : 110_000_000_000,
        updateId: 13_000_000,
        views: new Map(),
      };
      this.insts.set(`${inst.market}:${inst.venueSymbol}`, b);
      this.byInst.set(inst, b);
    }
  }

  wsMarket(path: string): Market | null {
    if (path === '/v5/public/spot') return 'spot';
    if (path === '/v5/public/linear') return 'perp';
    return null;
  }

  onOpen(): void {}

  onClose(conn: Conn): void {
    this.subs.removeConn(conn);
  }

  private reply(conn: Conn, reqId: string | undefined, op: string, success: boolean, retMsg: string): void {
    // Spot replies carry req_id only when one was sent; linear always does.
    const req = reqId !== undefined || conn.market === 'perp' ? `,"req_id":${JSON.stringify(reqId ?? '')}` : '';
    conn.send(
      `{"success":${success},"ret_msg":${JSON.stringify(retMsg)},"conn_id":"${conn.tag}"${req},"op":"${op}"}`,
      CONTROL,
    );
  }

  onMessage(conn: Conn, text: string): void {
    const msg = safeJson(text);
    if (!isRecord(msg)) {
      this.reply(conn, undefined, '', false, 'error:request not json');
      return;
    }
    const reqId = typeof msg.req_id === 'string' ? msg.req_id : undefined;
    const op = typeof msg.op === 'string' ? msg.op : '';
    if (op === 'ping') {
      this.reply(conn, reqId, 'ping', true, 'pong');
      return;
    }
    if (op !== 'subscribe' && op !== 'unsubscribe') {
      this.reply(conn, reqId, op, false, `error:handler not found,op:${op}`);
      return;
    }
    const args = Array.isArray(msg.args) ? msg.args.filter((a): a is string => typeof a === 'string') : [];
    const parsed = args.map((a) => this.parseTopic(conn.market, a));
    const bad = args.find((_, i) => parsed[i] === null);
    if (bad !== undefined) {
      this.reply(conn, reqId, op, false, `Invalid topic :[${bad}]`);
      return;
    }
    const fresh: string[] = [];
    for (const topic of args) {
      const key = `${conn.market}:${topic}`;
      if (op === 'subscribe') {
        if (this.subs.add(key, conn)) fresh.push(topic);
      } else this.subs.remove(key, conn);
    }
    this.reply(conn, reqId, op, true, op === 'subscribe' && conn.market === 'spot' ? 'subscribe' : '');
    for (const topic of fresh) this.initial(conn, topic);
  }

  private parseTopic(market: Market, topic: string): { kind: string; b: BybitInst; depth: number } | null {
    const parts = topic.split('.');
    if (parts[0] === 'orderbook' && parts.length === 3) {
      const depth = Number(parts[1]);
      const b = this.insts.get(`${market}:${parts[2]}`);
      return b && DEPTHS.includes(depth) ? { kind: 'orderbook', b, depth } : null;
    }
    if ((parts[0] === 'publicTrade' || parts[0] === 'tickers') && parts.length === 2) {
      const b = this.insts.get(`${market}:${parts[1]}`);
      return b ? { kind: parts[0], b, depth: 0 } : null;
    }
    return null;
  }

  private initial(conn: Conn, topic: string): void {
    const t = this.parseTopic(conn.market, topic)!;
    const now = Math.floor(this.ctx.nowUs() / 1000);
    if (t.kind === 'orderbook') {
      let view = t.b.views.get(t.depth);
      if (!view) t.b.views.set(t.depth, (view = new DepthView(t.b.inst.model, t.depth, true, 1_000_000)));
      const lv = (side: 'bid' | 'ask'): string =>
        view
          .levels(side)
          .map(([p, s]) => `["${t.b.fmt.px(p)}","${t.b.fmt.sz(s)}"]`)
          .join(',');
      conn.send(
        `{"topic":"${topic}","type":"snapshot","ts":${now},"data":{"s":"${t.b.inst.venueSymbol}","b":[${lv('bid')}],"a":[${lv('ask')}],"u":${view.seq},"seq":${t.b.seq}},"cts":${now}}`,
        DATA,
      );
    } else if (t.kind === 'tickers') {
      conn.send(this.tickerSnapshot(t.b, now), DATA);
    }
  }

  private tickerSnapshot(b: BybitInst, now: number): string {
    const m = b.inst.model;
    const f = b.fmt;
    const pct = m.open > 0 ? ((m.lastPrice - m.open) / m.open).toFixed(4) : '0';
    const common = `"symbol":"${b.inst.venueSymbol}","lastPrice":"${f.px(m.lastPrice)}","highPrice24h":"${f.px(m.high)}","lowPrice24h":"${f.px(m.low)}","prevPrice24h":"${f.px(m.open)}","volume24h":"${f.sz(m.volume)}","turnover24h":"${f.notional(m.turnover)}","price24hPcnt":"${pct}"`;
    if (b.inst.market === 'spot') {
      return `{"topic":"tickers.${b.inst.venueSymbol}","ts":${now},"type":"snapshot","cs":${b.seq},"data":{${common},"usdIndexPrice":"${f.px(m.lastPrice)}"}}`;
    }
    const top = m.top();
    const bbo = top
      ? `,"bid1Price":"${f.px(top.bidPx)}","bid1Size":"${f.sz(top.bidSz)}","ask1Price":"${f.px(top.askPx)}","ask1Size":"${f.sz(top.askSz)}"`
      : '';
    return `{"topic":"tickers.${b.inst.venueSymbol}","type":"snapshot","data":{${common},${this.derivFields(b, now)}${bbo}},"cs":${b.seq},"ts":${now}}`;
  }

  private derivFields(b: BybitInst, nowMs: number): string {
    const top = b.inst.model.top();
    const mid = top ? (top.bidPx + top.askPx) / 2 : b.inst.model.lastPrice;
    const next = (Math.floor(nowMs / 28_800_000) + 1) * 28_800_000;
    return `"markPrice":"${b.fmt.pxAny(mid)}","indexPrice":"${b.fmt.pxAny(mid - 1)}","fundingRate":"0.0001","nextFundingTime":"${next}"`;
  }

  onStep(inst: SimInstrument, step: StepResult): void {
    const b = this.byInst.get(inst)!;
    const sym = inst.venueSymbol;
    const mk = inst.market;
    const ms = Math.floor(step.ts / 1000);
    if (step.changes.length > 0) {
      b.seq += step.changes.length;
      b.updateId++;
    }
    if (step.trades.length > 0) {
      const set = this.subs.get(`${mk}:publicTrade.${sym}`);
      if (set) {
        const parts = step.trades.map((t) => {
          const S = t.side === 'buy' ? 'Buy' : 'Sell';
          return mk === 'perp'
            ? `{"T":${Math.floor(t.ts / 1000)},"s":"${sym}","S":"${S}","v":"${b.fmt.sz(t.size)}","p":"${b.fmt.px(t.price)}","L":"${S === 'Buy' ? 'PlusTick' : 'MinusTick'}","i":"${this.tradeId(b, t.id)}","BT":false,"RPI":false,"seq":${b.seq}}`
            : `{"i":"${this.tradeId(b, t.id)}","T":${Math.floor(t.ts / 1000)},"p":"${b.fmt.px(t.price)}","v":"${b.fmt.sz(t.size)}","S":"${S}","seq":${b.seq},"s":"${sym}","BT":false,"RPI":false}`;
        });
        const text =
          mk === 'perp'
            ? `{"topic":"publicTrade.${sym}","type":"snapshot","ts":${ms},"data":[${parts.join(',')}]}`
            : `{"topic":"publicTrade.${sym}","ts":${ms},"type":"snapshot","data":[${parts.join(',')}]}`;
        for (const c of set) c.send(text, DATA);
      }
    }
    if (step.changes.length > 0) {
      for (const [depth, view] of b.views) {
        const d = view.diff(step.changes);
        if (d.bids.length === 0 && d.asks.length === 0) continue;
        view.seq++;
        const set = this.subs.get(`${mk}:orderbook.${depth}.${sym}`);
        if (!set) continue;
        const text = `{"topic":"orderbook.${depth}.${sym}","type":"delta","ts":${ms},"data":{"s":"${sym}","b":[${this.levels(b, d.bids)}],"a":[${this.levels(b, d.asks)}],"u":${view.seq},"seq":${b.seq}},"cts":${ms}}`;
        for (const c of set) c.send(text, DATA);
      }
    }
    if (mk === 'spot' && step.trades.length > 0) {
      const set = this.subs.get(`spot:tickers.${sym}`);
      if (set) {
        const text = this.tickerSnapshot(b, ms);
        for (const c of set) c.send(text, DATA);
      }
    }
    if (mk === 'perp' && step.top) {
      const set = this.subs.get(`perp:tickers.${sym}`);
      if (set) {
        const t = step.top;
        const text = `{"topic":"tickers.${sym}","type":"delta","data":{"symbol":"${sym}","bid1Price":"${b.fmt.px(t.bidPx)}","bid1Size":"${b.fmt.sz(t.bidSz)}","ask1Price":"${b.fmt.px(t.askPx)}","ask1Size":"${b.fmt.sz(t.askSz)}"},"cs":${b.seq},"ts":${ms}}`;
        for (const c of set) c.send(text, DATA);
      }
    }
  }

  /** The wire trade id (WebSocket `i`, REST `execId`): spot a 19-digit counter, linear a UUID. */
  private tradeId(b: BybitInst, id: number): string {
    return b.inst.market === 'perp' ? uuidFrom(id, 7) : String(2_290_000_000_000_000_000n + BigInt(id));
  }

  private levels(b: BybitInst, updates: readonly ViewUpdate[]): string {
    let s = '';
    for (const u of updates) {
      const e = `["${b.fmt.px(u.price)}","${b.fmt.sz(u.size)}"]`;
      s += s ? `,${e}` : e;
    }
    return s;
  }

  onSecond(): void {
    const ms = Math.floor(this.ctx.nowUs() / 1000);
    for (const b of this.byInst.values()) {
      if (b.inst.market !== 'perp') continue;
      const set = this.subs.get(`perp:tickers.${b.inst.venueSymbol}`);
      if (!set) continue;
      const text = `{"topic":"tickers.${b.inst.venueSymbol}","type":"delta","data":{"symbol":"${b.inst.venueSymbol}",${this.derivFields(b, ms)}},"cs":${b.seq},"ts":${ms}}`;
      for (const c of set) c.send(text, DATA);
    }
  }

  shutdownNotice(): string | null {
    // Bybit documents no planned-disconnect message; the socket just closes.
    return null;
  }

  private envelope(retCode: number, retMsg: string, result: unknown): string {
    return JSON.stringify({ retCode, retMsg, result, retExtInfo: {}, time: Math.floor(this.ctx.nowUs() / 1000) });
  }

  restError(status: 429 | 500): RestReply {
    return status === 429
      ? { status: 429, body: this.envelope(10006, 'Too many visits!', {}), headers: { 'X-Bapi-Limit-Status': '0' } }
      : { status: 500, body: this.envelope(10016, 'Internal system error.', {}) };
  }

  rest(path: string, query: URLSearchParams): RestReply | null {
    const category = query.get('category') ?? '';
    const market: Market | undefined = category === 'spot' ? 'spot' : category === 'linear' ? 'perp' : undefined;
    const known = ['/v5/market/instruments-info', '/v5/market/orderbook', '/v5/market/recent-trade', '/v5/market/time'];
    if (!known.includes(path)) return null;
    if (path === '/v5/market/time') {
      const now = this.ctx.nowUs();
      return {
        status: 200,
        body: this.envelope(0, 'OK', { timeSecond: String(Math.floor(now / 1e6)), timeNano: `${now}000` }),
      };
    }
    if (market === undefined) return { status: 200, body: this.envelope(10001, 'Illegal category', {}) };
    if (path === '/v5/market/instruments-info') {
      const only = query.get('symbol');
      const list = [...this.byInst.values()]
        .filter((b) => b.inst.market === market && (only === null || b.inst.venueSymbol === only))
        .map((b) => this.instrumentInfo(b));
      return {
        status: 200,
        body: this.envelope(0, 'OK', market === 'spot' ? { category, list } : { category, list, nextPageCursor: '' }),
      };
    }
    const b = this.insts.get(`${market}:${query.get('symbol') ?? ''}`);
    if (!b) return { status: 200, body: this.envelope(10001, 'params error: symbol invalid', {}) };
    const now = Math.floor(this.ctx.nowUs() / 1000);
    if (path === '/v5/market/orderbook') {
      const limit = Math.min(
        market === 'spot' ? 200 : 500,
        Math.max(1, Number.parseInt(query.get('limit') ?? '') || (market === 'spot' ? 1 : 25)),
      );
      const side = (s: 'bid' | 'ask'): string[][] =>
        b.inst.model.book.top(s, limit).map(([p, q]) => [b.fmt.px(p), b.fmt.sz(q)]);
      return {
        status: 200,
        body: this.envelope(0, 'OK', {
          s: b.inst.venueSymbol,
          a: side('ask'),
          b: side('bid'),
          ts: now,
          u: b.updateId,
          seq: b.seq,
          cts: now,
        }),
      };
    }
    // Spot keeps the last 60 trades ([1, 60], default 60); linear [1, 1000], default 500.
    const limit = Math.min(
      market === 'spot' ? 60 : 1000,
      Math.max(1, Number.parseInt(query.get('limit') ?? '') || (market === 'spot' ? 60 : 500)),
    );
    const list = b.inst.model
      .lastTrades(limit)
      .reverse()
      .map((t) => ({
        execId: this.tradeId(b, t.id),
        symbol: b.inst.venueSymbol,
        price: b.fmt.px(t.price),
        size: b.fmt.sz(t.size),
        side: t.side === 'buy' ? 'Buy' : 'Sell',
        time: String(Math.floor(t.ts / 1000)),
        isBlockTrade: false,
        isRPITrade: false,
      }));
    return { status: 200, body: this.envelope(0, 'OK', { category, list }) };
  }

  private instrumentInfo(b: BybitInst): unknown {
    const spec = b.inst.spec;
    const f = b.fmt;
    if (b.inst.market === 'spot') {
      return {
        symbol: b.inst.venueSymbol,
        baseCoin: spec.base,
        quoteCoin: spec.quote,
        innovation: '0',
        status: 'Trading',
        marginTrading: 'both',
        stTag: '0',
        lotSizeFilter: {
          basePrecision: f.sz(1),
          quotePrecision: '0.00000001',
          minOrderQty: f.sz(1),
          maxOrderQty: '1000000',
          minOrderAmt: '1',
          maxOrderAmt: '10000000',
        },
        priceFilter: { tickSize: f.px(1) },
        riskParameters: { priceLimitRatioX: '0.05', priceLimitRatioY: '0.05' },
      };
    }
    return {
      symbol: b.inst.venueSymbol,
      contractType: 'LinearPerpetual',
      status: 'Trading',
      baseCoin: spec.base,
      quoteCoin: spec.quote,
      launchTime: '1585526400000',
      deliveryTime: '0',
      deliveryFeeRate: '',
      priceScale: String(Math.max(2, spec.priceExp)),
      leverageFilter: { minLeverage: '1', maxLeverage: '100.00', leverageStep: '0.01' },
      priceFilter: { minPrice: f.px(1), maxPrice: f.px(10 ** (spec.priceExp + 7)), tickSize: f.px(1) },
      lotSizeFilter: {
        maxOrderQty: '1190',
        minOrderQty: f.sz(1),
        qtyStep: f.sz(1),
        postOnlyMaxOrderQty: '1190',
        maxMktOrderQty: '500',
        minNotionalValue: '5',
      },
      unifiedMarginTrade: true,
      fundingInterval: 480,
      settleCoin: spec.quote,
      copyTrading: 'both',
      upperFundingRate: '0.005',
      lowerFundingRate: '-0.005',
    };
  }
}

export function createBybit(ctx: VenueContext, instruments: readonly SimInstrument[]): BybitAdapter {
  return new BybitAdapter(ctx, instruments);
}
