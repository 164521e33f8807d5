// Binance spot (`binance`) and USD-M futures (`binance-futures`): raw streams
// on `/ws[/<stream>]`, combined streams on `/stream?streams=a/b` wrapped as
// `{"stream","data"}`, SUBSCRIBE/UNSUBSCRIBE/LIST_SUBSCRIPTIONS, REST depth
// snapshots whose `lastUpdateId` is the `u` of the last streamed depthUpdate.
// Futures also serve the 2026 endpoint split: `/public/{ws,stream}` (depth,
// bookTicker) and `/market/{ws,stream}` (trade, aggTrade, markPrice); a
// stream asked of the wrong one is refused with an error reply.
import type { Market, VenueId } from '../../events';
import type { StepResult } from '../model';
import {
  CONTROL,
  DATA,
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

interface BinanceBook {
  inst: SimInstrument;
  fmt: Fmt;
  lower: string;
  /** `u` of the last depthUpdate (0 before the first). */
  updateId: number;
  /** aggTrade id = trade id + aggOffset (one aggregate per fill). */
  aggOffset: number;
}

const DEPTH_SUFFIXES = ['@depth', '@depth@100ms', '@depth@250ms', '@depth@500ms', '@depth@1000ms', '@depth@0ms'];

/** Which streams a connection's endpoint serves: every one (spot, futures legacy) or one half of the futures split. */
type Endpoint = 'all' | 'public' | 'market';

/** Splits a futures path into its endpoint and the rest (`/public/stream` → ['public', '/stream']). */
function splitPath(path: string, futures: boolean): [Endpoint, string] {
  if (futures) {
    for (const e of ['public', 'market'] as const) {
      if (path.startsWith(`/${e}/`)) return [e, path.slice(e.length + 1)];
    }
  }
  return ['all', path];
}

export class BinanceAdapter implements VenueAdapter {
  readonly venue: VenueId;
  private readonly futures: boolean;
  private readonly books = new Map<string, BinanceBook>();
  private readonly byInst = new Map<SimInstrument, BinanceBook>();
  private readonly subs = new Subscriptions();
  private readonly combined = new WeakMap<Conn, boolean>();
  private readonly endpoints = new WeakMap<Conn, Endpoint>();

  constructor(
    private readonly ctx: VenueContext,
    readonly instruments: readonly SimInstrument[],
    futures: boolean,
  ) {
    this.futures = futures;
    this.venue = futures ? 'binance-futures' : 'binance';
    for (const inst of instruments) {
      const fmt = futures
        ? new Fmt(inst.spec, Math.max(inst.spec.priceExp, 2), inst.spec.sizeExp)
        : new Fmt(inst.spec, 8, 8);
      const b: BinanceBook = {
        inst,
        fmt,
        lower: inst.venueSymbol.toLowerCase(),
        updateId: futures ? 600_000_000_000 : 400_000_000,
        aggOffset: -600_000,
      };
      this.books.set(inst.venueSymbol, b);
      this.byInst.set(inst, b);
    }
  }

  wsMarket(fullPath: string): Market | null {
    const path = splitPath(fullPath, this.futures)[1];
    if (path === '/ws' || path.startsWith('/ws/') || path === '/stream') return this.futures ? 'perp' : 'spot';
    return null;
  }

  onOpen(conn: Conn, url: URL): void {
    const [endpoint, path] = splitPath(url.pathname.slice(this.venue.length + 1), this.futures);
    this.endpoints.set(conn, endpoint);
    if (path === '/stream') {
      this.combined.set(conn, true);
      const streams = url.searchParams.get('streams');
      if (streams) for (const s of streams.split('/')) if (this.validStream(s, endpoint)) this.subs.add(s, conn);
    } else if (path.startsWith('/ws/')) {
      for (const s of path.slice(4).split('/')) if (this.validStream(s, endpoint)) this.subs.add(s, conn);
    }
  }

  private validStream(stream: string, endpoint: Endpoint): boolean {
    const at = stream.indexOf('@');
    if (at <= 0) return false;
    const sym = stream.slice(0, at).toUpperCase();
    if (!this.books.has(sym)) return false;
    const rest = stream.slice(at);
    const book = rest === '@bookTicker' || DEPTH_SUFFIXES.includes(rest);
    const market =
      rest === '@trade' ||
      rest === '@aggTrade' ||
      (this.futures && (rest === '@markPrice' || rest === '@markPrice@1s'));
    if (endpoint === 'public') return book;
    if (endpoint === 'market') return market;
    return book || market;
  }

  onMessage(conn: Conn, text: string): void {
    const msg = safeJson(text);
    if (!isRecord(msg)) {
      conn.send(
        JSON.stringify({ error: { code: 3, msg: 'Invalid JSON: expected value at line 1 column 1' } }),
        CONTROL,
      );
      return;
    }
    const id = msg.id ?? null;
    const method = msg.method;
    const params = Array.isArray(msg.params) ? msg.params : [];
    if (method === 'SUBSCRIBE' || method === 'UNSUBSCRIBE') {
      const names = params.filter((p): p is string => typeof p === 'string');
      const endpoint = this.endpoints.get(conn) ?? 'all';
      const bad = names.find((n) => !this.validStream(n, endpoint));
      if (bad !== undefined || names.length !== params.length) {
        conn.send(
          JSON.stringify({
            error: {
              code: 2,
              msg:
                bad !== undefined && endpoint !== 'all' && this.validStream(bad, 'all')
                  ? `Invalid request: stream '${bad}' is not served on /${endpoint}`
                  : `Invalid request: unknown stream '${String(bad)}'`,
            },
            id,
          }),
          CONTROL,
        );
        return;
      }
      for (const n of names) {
        if (method === 'SUBSCRIBE') this.subs.add(n, conn);
        else this.subs.remove(n, conn);
      }
      conn.send(JSON.stringify({ result: null, id }), CONTROL);
    } else if (method === 'LIST_SUBSCRIPTIONS') {
      conn.send(JSON.stringify({ result: this.subs.keysOf(conn), id }), CONTROL);
    } else if (method === 'SET_PROPERTY' || method === 'GET_PROPERTY') {
      conn.send(JSON.stringify({ result: method === 'GET_PROPERTY' ? false : null, id }), CONTROL);
    } else {
      conn.send(
        JSON.stringify({ error: { code: 2, msg: `Invalid request: unknown variant '${String(method)}'` }, id }),
        CONTROL,
      );
    }
  }

  onClose(conn: Conn): void {
    this.subs.removeConn(conn);
  }

  /** Sends `payload` on `stream` to raw and combined subscribers. */
  private emit(stream: string, payload: string): void {
    const set = this.subs.get(stream);
    if (!set) return;
    let wrapped: string | undefined;
    for (const c of set) {
      if (this.combined.get(c) === true) {
        wrapped ??= `{"stream":"${stream}","data":${payload}}`;
        c.send(wrapped, DATA);
      } else {
        c.send(payload, DATA);
      }
    }
  }

  onStep(inst: SimInstrument, step: StepResult): void {
    const b = this.byInst.get(inst)!;
    const { fmt, lower } = b;
    const s = inst.venueSymbol;
    const E = Math.floor(step.ts / 1000);
    if (step.trades.length > 0) {
      const wantTrade = this.subs.has(`${lower}@trade`);
      const wantAgg = this.subs.has(`${lower}@aggTrade`);
      for (const t of step.trades) {
        const m = t.side === 'sell';
        const p = fmt.px(t.price);
        const q = fmt.sz(t.size);
        const T = Math.floor(t.ts / 1000);
        if (wantTrade) {
          this.emit(
            `${lower}@trade`,
            this.futures
              ? `{"e":"trade","E":${E},"T":${T},"s":"${s}","t":${t.id},"p":"${p}","q":"${q}","X":"MARKET","m":${m}}`
              : `{"e":"trade","E":${E},"s":"${s}","t":${t.id},"p":"${p}","q":"${q}","T":${T},"m":${m},"M":true}`,
          );
        }
        if (wantAgg) {
          const a = t.id + b.aggOffset;
          this.emit(
            `${lower}@aggTrade`,
            this.futures
              ? `{"e":"aggTrade","E":${E},"a":${a},"s":"${s}","p":"${p}","q":"${q}","f":${t.id},"l":${t.id},"T":${T},"m":${m}}`
              : `{"e":"aggTrade","E":${E},"s":"${s}","a":${a},"p":"${p}","q":"${q}","f":${t.id},"l":${t.id},"T":${T},"m":${m},"M":true}`,
          );
        }
      }
    }
    if (step.changes.length > 0) {
      const prevU = b.updateId;
      const U = prevU + 1;
      const u = prevU + step.changes.length;
      b.updateId = u;
      let want = false;
      for (const suffix of DEPTH_SUFFIXES) if (this.subs.has(lower + suffix)) want = true;
      if (want) {
        let bids = '';
        let asks = '';
        for (const c of step.changes) {
          const lvl = `["${fmt.px(c.price)}","${fmt.sz(c.size)}"]`;
          if (c.side === 'bid') bids += bids ? `,${lvl}` : lvl;
          else asks += asks ? `,${lvl}` : lvl;
        }
        const payload = this.futures
          ? `{"e":"depthUpdate","E":${E},"T":${E},"s":"${s}","U":${U},"u":${u},"pu":${prevU},"b":[${bids}],"a":[${asks}]}`
          : `{"e":"depthUpdate","E":${E},"s":"${s}","U":${U},"u":${u},"b":[${bids}],"a":[${asks}]}`;
        for (const suffix of DEPTH_SUFFIXES) this.emit(lower + suffix, payload);
      }
    }
    if (step.top && this.subs.has(`${lower}@bookTicker`)) {
      const t = step.top;
      const body = `"u":${b.updateId},"s":"${s}","b":"${fmt.px(t.bidPx)}","B":"${fmt.sz(t.bidSz)}","a":"${fmt.px(t.askPx)}","A":"${fmt.sz(t.askSz)}"`;
      this.emit(`${lower}@bookTicker`, this.futures ? `{"e":"bookTicker",${body},"T":${E},"E":${E}}` : `{${body}}`);
    }
  }

  onSecond(): void {
    if (!this.futures) return;
    const E = Math.floor(this.ctx.nowUs() / 1000);
    const nextFunding = (Math.floor(E / 28_800_000) + 1) * 28_800_000;
    for (const b of this.books.values()) {
      const k1 = `${b.lower}@markPrice`;
      const k2 = `${b.lower}@markPrice@1s`;
      if (!this.subs.has(k1) && !this.subs.has(k2)) continue;
      const top = b.inst.model.top();
      const mid = top ? (top.bidPx + top.askPx) / 2 : b.inst.model.lastPrice;
      const mark = b.fmt.pxAny(mid);
      const payload = `{"e":"markPriceUpdate","E":${E},"s":"${b.inst.venueSymbol}","p":"${mark}","i":"${b.fmt.pxAny(mid - 1)}","P":"${mark}","r":"0.00010000","T":${nextFunding}}`;
      this.emit(k1, payload);
      this.emit(k2, payload);
    }
  }

  shutdownNotice(conn: Conn): string | null {
    const payload = `{"e":"serverShutdown","E":${Math.floor(this.ctx.nowUs() / 1000)}}`;
    return this.combined.get(conn) === true ? `{"stream":"!serverShutdown","data":${payload}}` : payload;
  }

  restError(status: 429 | 500): RestReply {
    return status === 429
      ? json(
          429,
          {
            code: -1003,
            msg: 'Too many requests; current limit of IP(127.0.0.1) is 6000 requests per minute. Please use the websocket for live updates to avoid polling the API.',
          },
          { 'Retry-After': '1' },
        )
      : json(500, { code: -1000, msg: 'An unknown error occurred while processing the request.' });
  }

  rest(path: string, query: URLSearchParams): RestReply | null {
    const prefix = this.futures ? '/fapi/v1' : '/api/v3';
    if (!path.startsWith(`${prefix}/`)) return null;
    const endpoint = path.slice(prefix.length + 1);
    const nowMs = Math.floor(this.ctx.nowUs() / 1000);
    switch (endpoint) {
      case 'ping':
        return json(200, {});
      case 'time':
        return json(200, { serverTime: nowMs });
      case 'exchangeInfo':
        return json(200, this.exchangeInfo(nowMs, query.get('symbol')));
      case 'depth':
      case 'trades':
      case 'aggTrades': {
        const b = this.books.get((query.get('symbol') ?? '').toUpperCase());
        if (!b) return json(400, { code: -1121, msg: 'Invalid symbol.' });
        const limit = clampInt(
          query.get('limit'),
          endpoint === 'depth' ? 100 : 500,
          1,
          endpoint === 'depth' ? 5000 : 1000,
        );
        if (endpoint === 'depth') {
          const book = b.inst.model.book;
          const levels = (side: 'bid' | 'ask'): string[][] =>
            book.top(side, limit).map(([p, s]) => [b.fmt.px(p), b.fmt.sz(s)]);
          const body = this.futures
            ? { lastUpdateId: b.updateId, E: nowMs, T: nowMs, bids: levels('bid'), asks: levels('ask') }
            : { lastUpdateId: b.updateId, bids: levels('bid'), asks: levels('ask') };
          return json(200, body);
        }
        const trades = b.inst.model.lastTrades(limit);
        if (endpoint === 'trades') {
          return json(
            200,
            trades.map((t) => ({
              id: t.id,
              price: b.fmt.px(t.price),
              qty: b.fmt.sz(t.size),
              quoteQty: b.fmt.notional(t.price * t.size),
              time: Math.floor(t.ts / 1000),
              isBuyerMaker: t.side === 'sell',
              ...(this.futures ? {} : { isBestMatch: true }),
            })),
          );
        }
        return json(
          200,
          trades.map((t) => ({
            a: t.id + b.aggOffset,
            p: b.fmt.px(t.price),
            q: b.fmt.sz(t.size),
            f: t.id,
            l: t.id,
            T: Math.floor(t.ts / 1000),
            m: t.side === 'sell',
            ...(this.futures ? {} : { M: true }),
          })),
        );
      }
    }
    return null;
  }

  private exchangeInfo(nowMs: number, only: string | null): unknown {
    const symbols = [...this.books.values()]
      .filter((b) => only === null || b.inst.venueSymbol === only.toUpperCase())
      .map((b) => {
        const spec = b.inst.spec;
        const tick = b.fmt.px(1);
        const step = b.fmt.sz(1);
        const filters = [
          { filterType: 'PRICE_FILTER', minPrice: tick, maxPrice: b.fmt.px(10 ** (spec.priceExp + 7)), tickSize: tick },
          { filterType: 'LOT_SIZE', minQty: step, maxQty: b.fmt.sz(9000 * 10 ** spec.sizeExp), stepSize: step },
        ];
        return this.futures
          ? {
              symbol: b.inst.venueSymbol,
              pair: b.inst.venueSymbol,
              contractType: 'PERPETUAL',
              deliveryDate: 4133404800000,
              onboardDate: 1569398400000,
              status: 'TRADING',
              baseAsset: spec.base,
              quoteAsset: spec.quote,
              marginAsset: spec.quote,
              pricePrecision: Math.max(spec.priceExp, 2),
              quantityPrecision: spec.sizeExp,
              baseAssetPrecision: 8,
              quotePrecision: 8,
              underlyingType: 'COIN',
              filters,
              orderTypes: ['LIMIT', 'MARKET'],
              timeInForce: ['GTC', 'IOC', 'FOK', 'GTX'],
            }
          : {
              symbol: b.inst.venueSymbol,
              status: 'TRADING',
              baseAsset: spec.base,
              baseAssetPrecision: 8,
              quoteAsset: spec.quote,
              quotePrecision: 8,
              quoteAssetPrecision: 8,
              orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET'],
              isSpotTradingAllowed: true,
              filters,
              permissions: [],
            };
      });
    return { timezone: 'UTC', serverTime: nowMs, rateLimits: [], exchangeFilters: [], symbols };
  }
}

export function clampInt(text: string | null, dflt: number, lo: number, hi: number): number {
  const n = text === null ? dflt : Number.parseInt(text, 10);
  if (!Number.isFinite(n)) return dflt;
  return Math.min(hi, Math.max(lo, n));
}

export function createBinance(ctx: VenueContext, instruments: readonly SimInstrument[]): BinanceAdapter {
  return new BinanceAdapter(ctx, instruments, false);
}
