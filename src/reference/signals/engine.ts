// The TypeScript reference of the signal engine (docs/signals.md): the same
// calls as native/signals/signals.h over canonical values, returning the
// plain signal objects each call emits, in the native engine's order (fields
// in the order src/engine/signals.ts decodes them, so JSON lines match). Both
// are deterministic functions of the same call sequence; the differential
// test (test/signals/differential.test.ts) holds them to 1e-9.
import { VENUES, venueCode, venueFromCode, type CanonicalEvent, type Side, type VenueId } from '../../events';
import type { BarSignal, BasisSignal, NbboSignal, SignalRecord, TradeStatsSignal } from '../../engine/signals';
import { BarSeries, type Bar } from './bars';
import {
  basisBps,
  crossOf,
  emptyNbbo,
  midOf,
  nbboValid,
  noBasis,
  offer,
  perpVenueFor,
  PERP_SUFFIX,
  sameNbbo,
  spotVenueFor,
  type BasisLast,
  type Nbbo,
} from './consolidated';
import { bboFields, ofiEvent, sameTop, sumLevels, twoSided, type Top } from './quote';
import { Ema, TradeWindow } from './trades';
import { SumWindow } from './windows';

export type LatePolicy = 'drop' | 'revise';

export interface SignalConfig {
  /** N of depth_imbalance. */
  depthLevels: number;
  /** trade_stats windows, µs. */
  tradeWindowsUs: number[];
  /** ema half-lives, µs. */
  emaHalfLivesUs: number[];
  ofiWindowUs: number;
  /** bar intervals, µs. */
  barIntervalsUs: number[];
  latenessUs: number;
  latePolicy: LatePolicy;
  /** Engine-clock time without trades after which an instrument's watermark follows the clock; 0 = never. */
  idleTimeoutUs: number;
  /** Policy `revise`: how far back (event time) final bars stay revisable. */
  reviseHorizonUs: number;
  /** nbbo ignores a venue whose last top/depth update was received more than this before the current event; 0 = never. */
  quoteStaleUs: number;
}

export const DEFAULT_SIGNAL_CONFIG: Readonly<SignalConfig> = Object.freeze({
  depthLevels: 5,
  tradeWindowsUs: [1_000_000, 60_000_000],
  emaHalfLivesUs: [1_000_000, 30_000_000],
  ofiWindowUs: 1_000_000,
  barIntervalsUs: [1_000_000, 60_000_000],
  latenessUs: 500_000,
  latePolicy: 'drop',
  idleTimeoutUs: 2_000_000,
  reviseHorizonUs: 60_000_000,
  quoteStaleUs: 5_000_000,
});

export interface SignalStats {
  records: number;
  ignoredTrades: number;
  lateTrades: number;
  lateDropped: number;
  barRevisions: number;
  nonFinite: number;
}

const BOOK_UNKNOWN = 0;
const BOOK_VALID = 1;
const BOOK_INVALID = 2;

interface Instrument {
  venue: VenueId;
  code: number;
  symbol: string;
  book: number;
  hasTop: boolean;
  topValid: boolean;
  top: Top;
  quoteRecv: number;
  ofiHasPrev: boolean;
  ofiPrev: Top;
  ofi: SumWindow;
  hasDepth: boolean;
  depthValid: boolean;
  depthBid: number;
  depthAsk: number;
  basis: BasisLast;
  windows: TradeWindow[];
  emas: Ema[];
  bars: BarSeries[];
  hasTrades: boolean;
  maxTradeTs: number;
  idleWatermark: number;
  lastTradeClock: number;
}

interface SymbolState {
  /** venue code → instrument */
  inst: (Instrument | undefined)[];
  nbboEmitted: boolean;
  nbbo: Nbbo;
  basis: BasisLast;
  lastTs: number;
  lastRecv: number;
}

const EMPTY_TOP: Top = { bidPx: 0, bidQty: 0, askPx: 0, askQty: 0 };
const allFinite = (...values: number[]): boolean => values.every((v) => Number.isFinite(v));

export class SignalEngine {
  readonly config: Readonly<SignalConfig>;
  private readonly retainBars: boolean;
  private now = 0;
  private readonly counters: SignalStats = {
    records: 0,
    ignoredTrades: 0,
    lateTrades: 0,
    lateDropped: 0,
    barRevisions: 0,
    nonFinite: 0,
  };
  private readonly instruments = new Map<string, Instrument>();
  private readonly symbols = new Map<string, SymbolState>();
  private out: SignalRecord[] = [];

  constructor(config: Partial<SignalConfig> = {}) {
    const c: SignalConfig = { ...DEFAULT_SIGNAL_CONFIG, ...config };
    const positive = (xs: number[]): number[] => xs.filter((x) => x > 0);
    this.config = Object.freeze({
      ...c,
      tradeWindowsUs: positive(c.tradeWindowsUs),
      emaHalfLivesUs: positive(c.emaHalfLivesUs),
      barIntervalsUs: positive(c.barIntervalsUs),
      ofiWindowUs: c.ofiWindowUs > 0 ? c.ofiWindowUs : 1_000_000,
      latenessUs: c.latenessUs < 0 ? 0 : c.latenessUs,
      depthLevels: c.depthLevels < 1 ? 1 : c.depthLevels,
      reviseHorizonUs: c.reviseHorizonUs < 0 ? 0 : c.reviseHorizonUs,
    });
    this.retainBars = this.config.latePolicy === 'revise';
  }

  /** The engine clock (µs): emitTs of every record and the processing time of idle detection. */
  setNow(nowUs: number): void {
    this.now = nowUs;
  }

  stats(): SignalStats {
    return { ...this.counters };
  }

  /** Convenience for canonical events: trades and venue bbo events (a bbo feed has no book: VALID). */
  onEvent(event: CanonicalEvent): SignalRecord[] {
    if (event.type === 'trade') {
      return this.onTrade(event.venue, event.symbol, event.ts, event.recvTs, event.price, event.qty, event.side);
    }
    if (event.type === 'bbo') {
      return this.onTop(
        event.venue,
        event.symbol,
        event.ts,
        event.recvTs,
        event.bidPx,
        event.bidQty,
        event.askPx,
        event.askQty,
        true,
      );
    }
    return [];
  }

  // ------------------------------------------------------------ trades

  onTrade(
    venue: VenueId,
    symbol: string,
    ts: number | null,
    recvTs: number,
    price: number,
    qty: number,
    side: Side,
  ): SignalRecord[] {
    this.out = [];
    if (!(Number.isFinite(price) && price > 0 && Number.isFinite(qty) && qty > 0)) {
      this.counters.ignoredTrades++;
      return this.out;
    }
    const t = ts ?? recvTs;
    const sell = side === 'sell';
    const inst = this.instrument(venue, symbol);
    const valid = inst.book !== BOOK_INVALID;

    for (const w of inst.windows) {
      w.add(t, price, qty, sell);
      const f = w.fields();
      if (f === null) continue;
      const rec: TradeStatsSignal = {
        signal: 'trade_stats',
        venue,
        symbol,
        ts: f.ts,
        emitTs: this.now,
        valid,
        window: f.window,
        trades: f.trades,
        vwap: f.vwap,
        volume: f.volume,
        buyVolume: f.buyVolume,
        sellVolume: f.sellVolume,
        tfi: f.tfi,
        rv: f.rv,
      };
      this.emit(rec, allFinite(f.vwap, f.volume, f.buyVolume, f.sellVolume, f.tfi, f.rv));
    }
    for (const e of inst.emas) {
      e.add(t, price);
      this.emit(
        { signal: 'ema', venue, symbol, ts: e.ts, emitTs: this.now, valid, halfLife: e.halfLife, value: e.value },
        allFinite(e.value),
      );
    }

    inst.lastTradeClock = this.now;
    if (inst.hasTrades && t < this.watermark(inst)) {
      this.counters.lateTrades++;
      if (this.config.latePolicy === 'drop') {
        this.counters.lateDropped++;
        return this.out;
      }
      const wm = this.watermark(inst);
      let kept = false;
      for (const b of inst.bars) {
        const r = b.revise(t, price, qty, wm);
        if (r.outcome === 'revised') {
          this.counters.barRevisions++;
          this.emitBar(inst, b, r.bar!);
          kept = true;
        } else if (r.outcome === 'merged') {
          kept = true;
        }
      }
      if (!kept) this.counters.lateDropped++;
      return this.out;
    }
    for (const b of inst.bars) b.add(t, price, qty);
    if (!inst.hasTrades || t > inst.maxTradeTs) inst.maxTradeTs = t;
    inst.hasTrades = true;
    this.finalizeBars(inst);
    return this.out;
  }

  /** Processing-time watermark for instruments without trades for idleTimeoutUs; sets the clock. */
  advanceIdle(nowUs: number): SignalRecord[] {
    this.out = [];
    this.now = nowUs;
    if (this.config.idleTimeoutUs <= 0) return this.out;
    for (const inst of this.instruments.values()) {
      if (!inst.hasTrades) continue;
      const idle = nowUs - inst.lastTradeClock;
      if (idle < this.config.idleTimeoutUs) continue;
      const wm = inst.maxTradeTs + idle - this.config.latenessUs;
      if (wm <= inst.idleWatermark) continue;
      inst.idleWatermark = wm;
      this.finalizeBars(inst);
    }
    return this.out;
  }

  /** Shutdown: watermarks move to each instrument's max trade time; complete bars are emitted. */
  flush(): SignalRecord[] {
    this.out = [];
    for (const inst of this.instruments.values()) {
      if (!inst.hasTrades) continue;
      if (inst.maxTradeTs > inst.idleWatermark) inst.idleWatermark = inst.maxTradeTs;
      this.finalizeBars(inst);
    }
    return this.out;
  }

  private watermark(inst: Instrument): number {
    const byEvents = inst.hasTrades ? inst.maxTradeTs - this.config.latenessUs : -Infinity;
    return byEvents > inst.idleWatermark ? byEvents : inst.idleWatermark;
  }

  private finalizeBars(inst: Instrument): void {
    const wm = this.watermark(inst);
    for (const b of inst.bars) {
      for (let bar = b.popFinal(wm); bar !== null; bar = b.popFinal(wm)) this.emitBar(inst, b, bar);
    }
  }

  private emitBar(inst: Instrument, series: BarSeries, bar: Bar): void {
    const rec: BarSignal = {
      signal: 'bar',
      venue: inst.venue,
      symbol: inst.symbol,
      ts: bar.start,
      emitTs: this.now,
      valid: inst.book !== BOOK_INVALID,
      interval: series.interval,
      start: bar.start,
      end: bar.start + series.interval,
      open: bar.open,
      high: bar.high,
      low: bar.low,
      close: bar.close,
      volume: bar.volume,
      vwap: bar.pv / bar.volume,
      trades: bar.trades,
      revision: bar.revision,
    };
    this.emit(rec, allFinite(rec.open, rec.high, rec.low, rec.close, rec.volume, rec.vwap));
  }

  // ------------------------------------------------------------ quotes

  onTop(
    venue: VenueId,
    symbol: string,
    ts: number | null,
    recvTs: number,
    bidPx: number,
    bidQty: number,
    askPx: number,
    askQty: number,
    bookValid: boolean,
  ): SignalRecord[] {
    this.out = [];
    const t = ts ?? recvTs;
    const inst = this.instrument(venue, symbol);
    const top: Top = { bidPx, bidQty, askPx, askQty };
    const prevValid = inst.topValid;
    this.setBook(inst, bookValid);
    const changed = !inst.hasTop || !sameTop(inst.top, top) || prevValid !== bookValid;
    inst.hasTop = true;
    inst.top = top;
    inst.topValid = bookValid;
    inst.quoteRecv = recvTs;

    if (changed) {
      if (twoSided(top)) {
        const f = bboFields(top);
        this.emit(
          { signal: 'bbo', venue, symbol, ts: t, emitTs: this.now, valid: bookValid, ...f },
          allFinite(f.bidPx, f.bidQty, f.askPx, f.askQty, f.mid, f.spreadBps, f.microprice, f.imbalance),
        );
      }
      if (bookValid && twoSided(top)) {
        if (inst.ofiHasPrev) {
          inst.ofi.add(t, ofiEvent(inst.ofiPrev, top));
          this.emit(
            {
              signal: 'ofi',
              venue,
              symbol,
              ts: inst.ofi.maxTs,
              emitTs: this.now,
              valid: true,
              window: inst.ofi.window,
              value: inst.ofi.sum,
            },
            allFinite(inst.ofi.sum),
          );
        }
        inst.ofiPrev = top;
        inst.ofiHasPrev = true;
      } else {
        inst.ofiHasPrev = false;
      }
    }

    const s = this.symbolState(symbol);
    s.lastTs = t;
    s.lastRecv = recvTs;
    this.consolidate(symbol, t, recvTs);
    this.venueBasis(inst, t);
    return this.out;
  }

  onDepth(
    venue: VenueId,
    symbol: string,
    ts: number | null,
    recvTs: number,
    bidQty: readonly number[],
    askQty: readonly number[],
    bookValid: boolean,
  ): SignalRecord[] {
    this.out = [];
    const t = ts ?? recvTs;
    const inst = this.instrument(venue, symbol);
    const stateChanged = this.setBook(inst, bookValid);
    inst.quoteRecv = recvTs;
    const b = sumLevels(bidQty, this.config.depthLevels);
    const a = sumLevels(askQty, this.config.depthLevels);
    const changed = !inst.hasDepth || b !== inst.depthBid || a !== inst.depthAsk || bookValid !== inst.depthValid;
    inst.hasDepth = true;
    inst.depthBid = b;
    inst.depthAsk = a;
    inst.depthValid = bookValid;
    if (changed && b + a > 0) {
      const value = (b - a) / (b + a);
      this.emit(
        {
          signal: 'depth_imbalance',
          venue,
          symbol,
          ts: t,
          emitTs: this.now,
          valid: bookValid,
          levels: this.config.depthLevels,
          value,
        },
        allFinite(value),
      );
    }
    if (stateChanged) {
      const s = this.symbolState(symbol);
      this.consolidate(symbol, s.lastTs, s.lastRecv);
      this.venueBasis(inst, s.lastTs);
    }
    return this.out;
  }

  /**
   * A book state transition. With `emit` false only the state changes (the
   * next nbbo / basis computation reflects it); with `emit` true nbbo and
   * basis are re-evaluated right away (native: the overload with a writer).
   */
  onBookState(venue: VenueId, symbol: string, valid: boolean, emit = false): SignalRecord[] {
    this.out = [];
    const inst = this.instrument(venue, symbol);
    if (!this.setBook(inst, valid) || !emit) return this.out;
    const s = this.symbolState(symbol);
    this.consolidate(symbol, s.lastTs, s.lastRecv);
    this.venueBasis(inst, s.lastTs);
    return this.out;
  }

  private setBook(inst: Instrument, valid: boolean): boolean {
    const next = valid ? BOOK_VALID : BOOK_INVALID;
    const changed = inst.book !== next;
    inst.book = next;
    if (!valid) {
      inst.topValid = false;
      inst.ofiHasPrev = false;
    }
    return changed;
  }

  private quoteValid(inst: Instrument): boolean {
    return inst.book === BOOK_VALID && inst.topValid;
  }

  // ------------------------------------------------------------ consolidated

  private consolidate(symbol: string, ts: number, refRecv: number): void {
    const s = this.symbolState(symbol);
    const n = emptyNbbo();
    for (let code = 1; code <= VENUES.length; code++) {
      const inst = s.inst[code];
      if (inst === undefined || !inst.hasTop || !this.quoteValid(inst)) continue;
      if (this.config.quoteStaleUs > 0 && inst.quoteRecv < refRecv - this.config.quoteStaleUs) continue;
      offer(n, code, inst.top);
    }
    const changed = !s.nbboEmitted || !sameNbbo(n, s.nbbo);
    if (changed && (s.nbboEmitted || nbboValid(n))) {
      const { crossed, crossBps } = crossOf(n);
      const rec: NbboSignal = {
        signal: 'nbbo',
        venue: null,
        symbol,
        ts,
        emitTs: this.now,
        valid: nbboValid(n),
        bidPx: n.bidPx,
        bidQty: n.bidQty,
        askPx: n.askPx,
        askQty: n.askQty,
        crossBps,
        bidVenue: venueFromCode(n.bidVenue) ?? null,
        askVenue: venueFromCode(n.askVenue) ?? null,
        crossed,
      };
      this.emit(rec, allFinite(n.bidPx, n.bidQty, n.askPx, n.askQty, crossBps));
      s.nbboEmitted = true;
      s.nbbo = n;
    }
    if (symbol.endsWith(PERP_SUFFIX) && symbol.length > PERP_SUFFIX.length) {
      const spot = symbol.slice(0, -PERP_SUFFIX.length);
      if (this.symbols.has(spot)) this.consolidatedBasis(spot, symbol, ts);
    } else if (this.symbols.has(symbol + PERP_SUFFIX)) {
      this.consolidatedBasis(symbol, symbol + PERP_SUFFIX, ts);
    }
  }

  private consolidatedBasis(spot: string, perp: string, ts: number): void {
    const s = this.symbolState(spot);
    const p = this.symbolState(perp);
    const next: BasisLast = { ...s.basis };
    if (s.nbboEmitted && nbboValid(s.nbbo) && p.nbboEmitted && nbboValid(p.nbbo)) {
      next.valid = true;
      next.spotMid = (s.nbbo.bidPx + s.nbbo.askPx) / 2;
      next.perpMid = (p.nbbo.bidPx + p.nbbo.askPx) / 2;
    } else {
      if (!s.basis.emitted) return;
      next.valid = false;
    }
    const last = s.basis;
    if (last.emitted && next.valid === last.valid && next.spotMid === last.spotMid && next.perpMid === last.perpMid) {
      return;
    }
    next.emitted = true;
    s.basis = next;
    const rec: BasisSignal = {
      signal: 'basis',
      venue: null,
      symbol: spot,
      ts,
      emitTs: this.now,
      valid: next.valid,
      spotMid: next.spotMid,
      perpMid: next.perpMid,
      bps: basisBps(next.spotMid, next.perpMid),
      perpSymbol: perp,
      spotVenue: null,
      perpVenue: null,
    };
    this.emit(rec, allFinite(rec.spotMid, rec.perpMid, rec.bps));
  }

  private venueBasis(inst: Instrument, ts: number): void {
    const sym = inst.symbol;
    let spot: Instrument | undefined = inst;
    let perp: Instrument | undefined = inst;
    if (sym.endsWith(PERP_SUFFIX) && sym.length > PERP_SUFFIX.length) {
      spot = this.find(spotVenueFor(inst.code), sym.slice(0, -PERP_SUFFIX.length));
    } else {
      perp = this.find(perpVenueFor(inst.code), sym + PERP_SUFFIX);
    }
    if (spot === undefined || perp === undefined) return;
    if (!spot.hasTop || !perp.hasTop || !twoSided(spot.top) || !twoSided(perp.top)) return;
    const next: BasisLast = {
      emitted: true,
      valid: this.quoteValid(spot) && this.quoteValid(perp),
      spotMid: midOf(spot.top),
      perpMid: midOf(perp.top),
    };
    const last = spot.basis;
    if (last.emitted && last.valid === next.valid && last.spotMid === next.spotMid && last.perpMid === next.perpMid) {
      return;
    }
    spot.basis = next;
    const rec: BasisSignal = {
      signal: 'basis',
      venue: spot.venue,
      symbol: spot.symbol,
      ts,
      emitTs: this.now,
      valid: next.valid,
      spotMid: next.spotMid,
      perpMid: next.perpMid,
      bps: basisBps(next.spotMid, next.perpMid),
      perpSymbol: perp.symbol,
      spotVenue: spot.venue,
      perpVenue: perp.venue,
    };
    this.emit(rec, allFinite(rec.spotMid, rec.perpMid, rec.bps));
  }

  // ------------------------------------------------------------ state

  private emit(rec: SignalRecord, finite: boolean): void {
    if (!finite) {
      this.counters.nonFinite++;
      return;
    }
    this.counters.records++;
    this.out.push(rec);
  }

  private symbolState(symbol: string): SymbolState {
    let s = this.symbols.get(symbol);
    if (s === undefined) {
      s = {
        inst: [],
        nbboEmitted: false,
        nbbo: emptyNbbo(),
        basis: noBasis(),
        lastTs: 0,
        lastRecv: 0,
      };
      this.symbols.set(symbol, s);
    }
    return s;
  }

  private find(code: number, symbol: string): Instrument | undefined {
    const venue = venueFromCode(code);
    return venue === undefined ? undefined : this.instruments.get(`${venue} ${symbol}`);
  }

  private instrument(venue: VenueId, symbol: string): Instrument {
    const key = `${venue} ${symbol}`;
    let inst = this.instruments.get(key);
    if (inst !== undefined) return inst;
    const c = this.config;
    inst = {
      venue,
      code: venueCode(venue),
      symbol,
      book: BOOK_UNKNOWN,
      hasTop: false,
      topValid: false,
      top: EMPTY_TOP,
      quoteRecv: 0,
      ofiHasPrev: false,
      ofiPrev: EMPTY_TOP,
      ofi: new SumWindow(c.ofiWindowUs),
      hasDepth: false,
      depthValid: false,
      depthBid: 0,
      depthAsk: 0,
      basis: noBasis(),
      windows: c.tradeWindowsUs.map((w) => new TradeWindow(w)),
      emas: c.emaHalfLivesUs.map((h) => new Ema(h)),
      bars: c.barIntervalsUs.map((i) => {
        if (!this.retainBars) return new BarSeries(i, 0);
        const n = Math.floor((c.reviseHorizonUs + i - 1) / i);
        return new BarSeries(i, n < 1 ? 1 : n);
      }),
      hasTrades: false,
      maxTradeTs: 0,
      idleWatermark: -Infinity,
      lastTradeClock: 0,
    };
    this.instruments.set(key, inst);
    this.symbolState(symbol).inst[inst.code] = inst;
    return inst;
  }
}
