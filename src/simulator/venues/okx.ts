// OKX v5 public (`okx`): `/ws/v5/public`, op subscribe/unsubscribe with one
// event per arg, text ping → pong, books (snapshot + update with seqId /
// prevSeqId and the legacy CRC32 checksum, or 0), books5, bbo-tbt,
// books50-l2-tbt, books-l2-tbt, trades, tickers, mark-price, funding-rate;
// REST /api/v5/public/instruments, /api/v5/market/{books,trades}.
import type { Market } from '../../events';
import type { StepResult } from '../model';
import { DepthView, type ViewUpdate } from '../view';
import { crc32 } from '../format';
import { okxCtVal } from '../instruments';
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

/** Incremental book channels and their depth. */
const BOOKS: Record<string, number> = { books: 400, 'books-l2-tbt': 400, 'books50-l2-tbt': 50 };
const CHANNELS = [
  'books',
  'books-l2-tbt',
  'books50-l2-tbt',
  'books5',
  'bbo-tbt',
  'trades',
  'tickers',
  'mark-price',
  'funding-rate',
];

interface OkxInst {
  inst: SimInstrument;
  fmt: Fmt;
  /** Per-instId sequence of published market data. */
  seqId: number;
  views: Map<number, { view: DepthView; lastSeq: number }>;
  top5: DepthView;
}

/** `[px, sz, "0", orders]`; order count derived from the size. */
function level(o: OkxInst, px: number, sz: number): string {
  return `["${o.fmt.px(px)}","${o.fmt.sz(sz)}","0","${sz === 0 ? 0 : 1 + (sz % 7)}"]`;
}

/** Legacy OKX checksum: interleaved top-25 bid/ask `price:size`, CRC32 as a signed 32-bit integer. */
export function okxLegacyChecksum(
  bids: ReadonlyArray<readonly [string, string]>,
  asks: ReadonlyArray<readonly [string, string]>,
): number {
  const parts: string[] = [];
  for (let i = 0; i < 25; i++) {
    const b = bids[i];
    const a = asks[i];
    if (b) parts.push(`${b[0]}:${b[1]}`);
    if (a) parts.push(`${a[0]}:${a[1]}`);
  }
  return crc32Signed(parts.join(':'));
}

function crc32Signed(text: string): number {
  return crc32(text) | 0;
}

export class OkxAdapter implements VenueAdapter {
  readonly venue = 'okx' as const;
  private readonly insts = new Map<string, OkxInst>();
  private readonly byInst = new Map<SimInstrument, OkxInst>();
  private readonly subs = new Subscriptions();

  constructor(
    private readonly ctx: VenueContext,
    readonly instruments: readonly SimInstrument[],
  ) {
    for (const inst of instruments) {
      const o: OkxInst = {
        inst,
        fmt: new Fmt(inst.spec, 'trim', 'trim'),
        seqId: 363_000_000,
        views: new Map(),
        top5: new DepthView(inst.model, 5, true, 0),
      };
      this.insts.set(inst.venueSymbol, o);
      this.byInst.set(inst, o);
    }
  }

  wsMarket(path: string): Market | null {
    return path === '/ws/v5/public' ? 'spot' : null;
  }

  onOpen(): void {}

  onClose(conn: Conn): void {
    this.subs.removeConn(conn);
  }

  onMessage(conn: Conn, text: string): void {
    if (text === 'ping') {
      conn.send('pong', CONTROL);
      return;
    }
    const msg = safeJson(text);
    if (!isRecord(msg)) {
      conn.send(
        JSON.stringify({
          event: 'error',
          code: '60012',
          msg: `Invalid request: ${text.slice(0, 100)}`,
          connId: conn.tag,
        }),
        CONTROL,
      );
      return;
    }
    const id = typeof msg.id === 'string' ? msg.id : undefined;
    const op = msg.op;
    if (op !== 'subscribe' && op !== 'unsubscribe') {
      conn.send(
        JSON.stringify({
          ...(id ? { id } : {}),
          event: 'error',
          code: '60012',
          msg: `Invalid request: ${text.slice(0, 100)}`,
          connId: conn.tag,
        }),
        CONTROL,
      );
      return;
    }
    for (const arg of Array.isArray(msg.args) ? msg.args : []) {
      const channel = isRecord(arg) && typeof arg.channel === 'string' ? arg.channel : '';
      const instId = isRecord(arg) && typeof arg.instId === 'string' ? arg.instId : '';
      const o = this.insts.get(instId);
      const derivOnly = channel === 'mark-price' || channel === 'funding-rate';
      if (!CHANNELS.includes(channel) || !o || (derivOnly && o.inst.market !== 'perp')) {
        conn.send(
          JSON.stringify({
            ...(id ? { id } : {}),
            event: 'error',
            code: '60018',
            msg: `Wrong URL or channel:${channel},instId:${instId} doesn't exist. Please use the correct URL, channel and parameters referring to API document.`,
            connId: conn.tag,
          }),
          CONTROL,
        );
        continue;
      }
      const key = `${channel}:${instId}`;
      const ack = JSON.stringify({ ...(id ? { id } : {}), event: op, arg: { channel, instId }, connId: conn.tag });
      if (op === 'unsubscribe') {
        this.subs.remove(key, conn);
        conn.send(ack, CONTROL);
        continue;
      }
      const fresh = this.subs.add(key, conn);
      conn.send(ack, CONTROL);
      if (fresh) this.initial(conn, channel, o);
    }
  }

  private bookView(o: OkxInst, depth: number): { view: DepthView; lastSeq: number } {
    let v = o.views.get(depth);
    if (!v) o.views.set(depth, (v = { view: new DepthView(o.inst.model, depth, true, 0), lastSeq: o.seqId }));
    return v;
  }

  private checksum(o: OkxInst, view: DepthView): number {
    if (this.ctx.okxChecksum === 'zero') return 0;
    const text = (side: 'bid' | 'ask'): Array<[string, string]> =>
      view
        .levels(side)
        .slice(0, 25)
        .map(([p, s]) => [o.fmt.px(p), o.fmt.sz(s)]);
    return okxLegacyChecksum(text('bid'), text('ask'));
  }

  private initial(conn: Conn, channel: string, o: OkxInst): void {
    const ms = Math.floor(this.ctx.nowUs() / 1000);
    const depth = BOOKS[channel];
    if (depth !== undefined) {
      const v = this.bookView(o, depth);
      const lv = (side: 'bid' | 'ask'): string =>
        v.view
          .levels(side)
          .map(([p, s]) => level(o, p, s))
          .join(',');
      conn.send(
        `{"arg":{"channel":"${channel}","instId":"${o.inst.venueSymbol}"},"action":"snapshot","data":[{"asks":[${lv('ask')}],"bids":[${lv('bid')}],"ts":"${ms}","checksum":${this.checksum(o, v.view)},"prevSeqId":-1,"seqId":${v.lastSeq}}]}`,
        DATA_CHECKSUM,
      );
    } else if (channel === 'books5') {
      conn.send(this.books5(o, ms), DATA);
    } else if (channel === 'bbo-tbt') {
      conn.send(this.bbo(o, ms), DATA);
    } else if (channel === 'tickers') {
      conn.send(this.ticker(o, ms), DATA);
    } else if (channel === 'trades') {
      // OKX replays the last trade right after subscribing.
      const last = o.inst.model.lastTrades(1);
      if (last.length > 0) conn.send(this.trades(o, last), DATA);
    }
  }

  private books5(o: OkxInst, ms: number): string {
    const lv = (side: 'bid' | 'ask'): string =>
      o.inst.model.book
        .top(side, 5)
        .map(([p, s]) => level(o, p, s))
        .join(',');
    return `{"arg":{"channel":"books5","instId":"${o.inst.venueSymbol}"},"data":[{"asks":[${lv('ask')}],"bids":[${lv('bid')}],"instId":"${o.inst.venueSymbol}","ts":"${ms}","seqId":${o.seqId}}]}`;
  }

  private bbo(o: OkxInst, ms: number): string {
    const lv = (side: 'bid' | 'ask'): string =>
      o.inst.model.book
        .top(side, 1)
        .map(([p, s]) => level(o, p, s))
        .join(',');
    return `{"arg":{"channel":"bbo-tbt","instId":"${o.inst.venueSymbol}"},"data":[{"asks":[${lv('ask')}],"bids":[${lv('bid')}],"ts":"${ms}","seqId":${o.seqId}}]}`;
  }

  private ticker(o: OkxInst, ms: number): string {
    const m = o.inst.model;
    const f = o.fmt;
    const top = m.top();
    const instType = o.inst.market === 'perp' ? 'SWAP' : 'SPOT';
    const bbo = top
      ? `"askPx":"${f.px(top.askPx)}","askSz":"${f.sz(top.askSz)}","bidPx":"${f.px(top.bidPx)}","bidSz":"${f.sz(top.bidSz)}"`
      : '"askPx":"","askSz":"","bidPx":"","bidSz":""';
    return `{"arg":{"channel":"tickers","instId":"${o.inst.venueSymbol}"},"data":[{"instType":"${instType}","instId":"${o.inst.venueSymbol}","last":"${f.px(m.lastPrice)}","lastSz":"${f.sz(m.lastSize)}",${bbo},"open24h":"${f.px(m.open)}","high24h":"${f.px(m.high)}","low24h":"${f.px(m.low)}","volCcy24h":"${f.notional(m.turnover)}","vol24h":"${f.sz(m.volume)}","sodUtc0":"${f.px(m.open)}","sodUtc8":"${f.px(m.open)}","ts":"${ms}"}]}`;
  }

  private trades(o: OkxInst, trades: StepResult['trades']): string {
    const parts = trades.map(
      (t) =>
        `{"instId":"${o.inst.venueSymbol}","tradeId":"${t.id}","px":"${o.fmt.px(t.price)}","sz":"${o.fmt.sz(t.size)}","side":"${t.side}","ts":"${Math.floor(t.ts / 1000)}","count":"1","seqId":${o.seqId}}`,
    );
    return `{"arg":{"channel":"trades","instId":"${o.inst.venueSymbol}"},"data":[${parts.join(',')}]}`;
  }

  onStep(inst: SimInstrument, step: StepResult): void {
    const o = this.byInst.get(inst)!;
    const id = inst.venueSymbol;
    const ms = Math.floor(step.ts / 1000);
    if (step.changes.length > 0 || step.trades.length > 0) o.seqId += step.changes.length + step.trades.length;
    if (step.trades.length > 0) {
      const set = this.subs.get(`trades:${id}`);
      if (set) {
        const text = this.trades(o, step.trades);
        for (const c of set) c.send(text, DATA);
      }
    }
    if (step.changes.length > 0) {
      for (const [depth, v] of o.views) {
        const d = v.view.diff(step.changes);
        if (d.bids.length === 0 && d.asks.length === 0) continue;
        const prev = v.lastSeq;
        v.lastSeq = o.seqId;
        for (const [channel, dd] of Object.entries(BOOKS)) {
          if (dd !== depth) continue;
          const set = this.subs.get(`${channel}:${id}`);
          if (!set) continue;
          const text = `{"arg":{"channel":"${channel}","instId":"${id}"},"action":"update","data":[{"asks":[${this.levels(o, d.asks)}],"bids":[${this.levels(o, d.bids)}],"ts":"${ms}","checksum":${this.checksum(o, v.view)},"prevSeqId":${prev},"seqId":${o.seqId}}]}`;
          for (const c of set) c.send(text, DATA_CHECKSUM);
        }
      }
      const d5 = o.top5.diff(step.changes);
      if (d5.bids.length > 0 || d5.asks.length > 0) {
        const set = this.subs.get(`books5:${id}`);
        if (set) {
          const text = this.books5(o, ms);
          for (const c of set) c.send(text, DATA);
        }
      }
    }
    if (step.top) {
      const set = this.subs.get(`bbo-tbt:${id}`);
      if (set) {
        const text = this.bbo(o, ms);
        for (const c of set) c.send(text, DATA);
      }
    }
    if (step.top || step.trades.length > 0) {
      const set = this.subs.get(`tickers:${id}`);
      if (set) {
        const text = this.ticker(o, ms);
        for (const c of set) c.send(text, DATA);
      }
    }
  }

  private levels(o: OkxInst, updates: readonly ViewUpdate[]): string {
    let s = '';
    for (const u of updates) {
      const e = level(o, u.price, u.size);
      s += s ? `,${e}` : e;
    }
    return s;
  }

  onSecond(): void {
    const ms = Math.floor(this.ctx.nowUs() / 1000);
    const next = (Math.floor(ms / 28_800_000) + 1) * 28_800_000;
    for (const o of this.insts.values()) {
      if (o.inst.market !== 'perp') continue;
      const id = o.inst.venueSymbol;
      const top = o.inst.model.top();
      const mark = o.fmt.pxAny(top ? (top.bidPx + top.askPx) / 2 : o.inst.model.lastPrice);
      const mp = this.subs.get(`mark-price:${id}`);
      if (mp) {
        const text = `{"arg":{"channel":"mark-price","instId":"${id}"},"data":[{"instType":"SWAP","instId":"${id}","markPx":"${mark}","ts":"${ms}"}]}`;
        for (const c of mp) c.send(text, DATA);
      }
      const fr = this.subs.get(`funding-rate:${id}`);
      if (fr) {
        const text = `{"arg":{"channel":"funding-rate","instId":"${id}"},"data":[{"formulaType":"withRate","fundingRate":"0.0001","fundingTime":"${next}","impactValue":"","instId":"${id}","instType":"SWAP","interestRate":"0.0001","maxFundingRate":"0.0075","method":"current_period","minFundingRate":"-0.0075","nextFundingRate":"","nextFundingTime":"${next + 28_800_000}","premium":"0.0001","settFundingRate":"0.0001","settState":"settled","sett":"","ts":"${ms}"}]}`;
        for (const c of fr) c.send(text, DATA);
      }
    }
  }

  shutdownNotice(conn: Conn): string | null {
    return JSON.stringify({
      event: 'notice',
      code: '64008',
      msg: 'The connection will soon be closed for a service upgrade. Please reconnect.',
      connId: conn.tag,
    });
  }

  restError(status: 429 | 500): RestReply {
    return status === 429
      ? json(429, { code: '50011', msg: 'Too Many Requests', data: [] })
      : json(500, { code: '50001', msg: 'Service temporarily unavailable. Try again later', data: [] });
  }

  rest(path: string, query: URLSearchParams): RestReply | null {
    if (path === '/api/v5/public/time')
      return json(200, { code: '0', msg: '', data: [{ ts: String(Math.floor(this.ctx.nowUs() / 1000)) }] });
    if (path === '/api/v5/public/instruments') {
      const instType = query.get('instType');
      if (instType !== 'SPOT' && instType !== 'SWAP') {
        return json(200, { code: '51000', msg: 'Parameter instType error', data: [] });
      }
      const only = query.get('instId');
      const data = [...this.insts.values()]
        .filter(
          (o) => (o.inst.market === 'perp') === (instType === 'SWAP') && (only === null || o.inst.venueSymbol === only),
        )
        .map((o) => this.instrument(o));
      return json(200, { code: '0', msg: '', data });
    }
    if (path === '/api/v5/market/books' || path === '/api/v5/market/trades') {
      const o = this.insts.get(query.get('instId') ?? '');
      if (!o) return json(200, { code: '51001', msg: "Instrument ID doesn't exist.", data: [] });
      const ms = String(Math.floor(this.ctx.nowUs() / 1000));
      if (path === '/api/v5/market/books') {
        const sz = Math.min(400, Math.max(1, Number.parseInt(query.get('sz') ?? '1', 10) || 1));
        const side = (s: 'bid' | 'ask'): string[][] =>
          o.inst.model.book.top(s, sz).map(([p, q]) => [o.fmt.px(p), o.fmt.sz(q), '0', String(1 + (q % 7))]);
        return json(200, { code: '0', msg: '', data: [{ asks: side('ask'), bids: side('bid'), ts: ms }] });
      }
      const limit = Math.min(500, Math.max(1, Number.parseInt(query.get('limit') ?? '100', 10) || 100));
      const data = o.inst.model
        .lastTrades(limit)
        .reverse()
        .map((t) => ({
          instId: o.inst.venueSymbol,
          side: t.side,
          sz: o.fmt.sz(t.size),
          px: o.fmt.px(t.price),
          source: '0',
          tradeId: String(t.id),
          ts: String(Math.floor(t.ts / 1000)),
        }));
      return json(200, { code: '0', msg: '', data });
    }
    return null;
  }

  private instrument(o: OkxInst): unknown {
    const spec = o.inst.spec;
    const swap = o.inst.market === 'perp';
    return {
      instType: swap ? 'SWAP' : 'SPOT',
      instId: o.inst.venueSymbol,
      uly: swap ? `${spec.base}-${spec.quote}` : '',
      instFamily: swap ? `${spec.base}-${spec.quote}` : '',
      baseCcy: swap ? '' : spec.base,
      quoteCcy: swap ? '' : spec.quote,
      settleCcy: swap ? spec.quote : '',
      ctVal: swap ? String(okxCtVal(spec.base)) : '',
      ctMult: swap ? '1' : '',
      ctValCcy: swap ? spec.base : '',
      optType: '',
      stk: '',
      listTime: '1606468572000',
      expTime: '',
      lever: swap ? '100' : '10',
      tickSz: o.fmt.px(1),
      lotSz: o.fmt.sz(1),
      minSz: o.fmt.sz(1),
      ctType: swap ? 'linear' : '',
      alias: '',
      state: 'live',
      ruleType: 'normal',
      maxLmtSz: '10000000',
      maxMktSz: '1000000',
    };
  }
}

export function createOkx(ctx: VenueContext, instruments: readonly SimInstrument[]): OkxAdapter {
  return new OkxAdapter(ctx, instruments);
}
