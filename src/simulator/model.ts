// The market model of one instrument on one venue: a fair-price process
// (Gaussian steps in tick space plus occasional jumps) driving limit orders,
// cancels and market orders against a real OrderBook. Each step returns the
// model events it caused: trades, the changed levels and the new top of book.
import { OrderBook, type BookSide, type LevelChange } from './book';
import type { InstrumentSpec } from './instruments';
import { Rng } from './rng';

export interface ModelTrade {
  /** Increases by 1 per fill. */
  id: number;
  /** Ticks. */
  price: number;
  /** Lots. */
  size: number;
  /** Aggressor side. */
  side: 'buy' | 'sell';
  ts: number;
}

export interface TopOfBook {
  bidPx: number;
  bidSz: number;
  askPx: number;
  askSz: number;
}

export interface StepResult {
  /** µs since the epoch. */
  ts: number;
  trades: ModelTrade[];
  /** Levels changed in this step, absolute sizes (0 = removed). */
  changes: LevelChange[];
  /** The new top of book when it changed in this step, else null. */
  top: TopOfBook | null;
}

export interface ModelOptions {
  /** Multiplier on the per-step price noise (default 1 ≈ 0.6 tick per step). */
  volatility?: number;
  /** Probability of a jump per step (default 0.001). */
  jumpProbability?: number;
  /** Maximum levels kept per side (default 200). */
  maxLevels?: number;
}

/** Trades every model keeps for REST trade endpoints and subscription snapshots (at least this many). */
export const TRADE_HISTORY = 1000;

export class SymbolModel {
  readonly book = new OrderBook();
  private fair: number;
  private tradeId: number;
  private lastTop: TopOfBook | null = null;
  private readonly meanLots: number;
  private readonly volTicks: number;
  private readonly jumpP: number;
  private readonly maxLevels: number;
  /** Stats for ticker frames. */
  open: number;
  high: number;
  low: number;
  volume = 0;
  turnover = 0;
  lastPrice: number;
  lastSize = 0;
  lastSide: 'buy' | 'sell' = 'buy';
  readonly recentTrades: ModelTrade[] = [];
  steps = 0;

  constructor(
    readonly spec: InstrumentSpec,
    private readonly rng: Rng,
    opts: ModelOptions = {},
  ) {
    const tick = 10 ** -spec.priceExp;
    this.fair = Math.round((spec.initialPrice / tick) * (1 + (rng.next() - 0.5) * 0.02));
    this.meanLots = Math.max(2, Math.round(spec.meanLevelSize * 10 ** spec.sizeExp));
    this.volTicks = 0.6 * (opts.volatility ?? 1);
    this.jumpP = opts.jumpProbability ?? 0.001;
    this.maxLevels = opts.maxLevels ?? 200;
    this.tradeId = 1_000_000 + rng.int(9_000_000);
    this.seed();
    this.open = this.fair;
    this.high = this.fair;
    this.low = this.fair;
    this.lastPrice = this.fair;
    this.book.drainChanges();
    this.lastTop = this.top();
  }

  private lots(): number {
    // Log-normal-ish around the mean: mostly small, now and then large.
    return Math.max(1, Math.round(this.meanLots * Math.exp(this.rng.normal() * 0.8 - 0.32)));
  }

  private seed(): void {
    const mid = this.fair;
    let bid = mid - 1;
    let ask = mid + 1;
    for (let i = 0; i < 60; i++) {
      this.book.addLimit('bid', bid, this.lots());
      this.book.addLimit('ask', ask, this.lots());
      bid -= 1 + this.rng.geometric(0.6);
      ask += 1 + this.rng.geometric(0.6);
    }
  }

  top(): TopOfBook | null {
    const bid = this.book.bestBid();
    const ask = this.book.bestAsk();
    if (bid === undefined || ask === undefined) return null;
    return { bidPx: bid, bidSz: this.book.bids.get(bid), askPx: ask, askSz: this.book.asks.get(ask) };
  }

  /** One model action at time `ts` (µs). */
  step(ts: number): StepResult {
    this.steps++;
    const rng = this.rng;
    this.fair += rng.normal() * this.volTicks;
    if (rng.chance(this.jumpP)) this.fair += rng.normal() * 25 * this.volTicks;
    if (this.fair < 20) this.fair = 20;

    const book = this.book;
    const trades: ModelTrade[] = [];
    const bid = book.bestBid() ?? Math.floor(this.fair) - 1;
    const ask = book.bestAsk() ?? Math.ceil(this.fair) + 1;
    const mid = (bid + ask) / 2;
    const r = rng.next();
    if (r < 0.12) {
      // Market order: leans toward the fair price.
      const up = this.fair > mid;
      const side: 'buy' | 'sell' = rng.chance(0.7) ? (up ? 'buy' : 'sell') : up ? 'sell' : 'buy';
      const size = Math.max(1, Math.round(this.lots() * (0.3 + rng.next())));
      for (const f of book.market(side, size, 5)) {
        const t: ModelTrade = { id: ++this.tradeId, price: f.price, size: f.size, side, ts };
        trades.push(t);
        this.recordTrade(t);
      }
    } else if (r < 0.62) {
      this.addPassive(rng.chance(this.sideBias()) ? 'bid' : 'ask');
    } else {
      const side: BookSide = rng.chance(0.5) ? 'bid' : 'ask';
      const levels = book.side(side).prices;
      if (levels.length > 3) {
        const rank = Math.min(levels.length - 1, Math.floor(Math.abs(rng.normal()) * 12));
        const price = levels[rank]!;
        if (rng.chance(0.4)) book.removeLevel(side, price);
        else book.cancel(side, price, Math.max(1, Math.floor(book.side(side).get(price) * rng.next())));
      } else {
        this.addPassive(side);
      }
    }
    // Keep both sides populated and bounded.
    for (const side of ['bid', 'ask'] as const) {
      while (book.depth(side) < 5) this.addPassive(side);
      const levels = book.side(side).prices;
      while (levels.length > this.maxLevels) book.removeLevel(side, levels[levels.length - 1]!);
    }
    const changes = book.drainChanges();
    const top = this.top();
    let topChanged: TopOfBook | null = null;
    if (
      top &&
      (!this.lastTop ||
        top.bidPx !== this.lastTop.bidPx ||
        top.bidSz !== this.lastTop.bidSz ||
        top.askPx !== this.lastTop.askPx ||
        top.askSz !== this.lastTop.askSz)
    ) {
      topChanged = top;
      this.lastTop = top;
    }
    return { ts, trades, changes, top: topChanged };
  }

  /** Probability that a new passive order is a bid: more bids when the bid side is thin. */
  private sideBias(): number {
    const b = this.book.depth('bid');
    const a = this.book.depth('ask');
    return Math.min(0.8, Math.max(0.2, 0.5 + (a - b) / 100));
  }

  private addPassive(side: BookSide): void {
    const book = this.book;
    const rng = this.rng;
    const bid = book.bestBid();
    const ask = book.bestAsk();
    const offset = rng.geometric(0.15);
    if (side === 'bid') {
      let price = Math.floor(this.fair) - 1 - offset;
      if (ask !== undefined && price >= ask) price = ask - 1 - rng.geometric(0.5);
      if (price < 1) price = 1;
      book.addLimit('bid', price, this.lots());
    } else {
      let price = Math.ceil(this.fair) + 1 + offset;
      if (bid !== undefined && price <= bid) price = bid + 1 + rng.geometric(0.5);
      book.addLimit('ask', price, this.lots());
    }
  }

  private recordTrade(t: ModelTrade): void {
    if (t.price > this.high) this.high = t.price;
    if (t.price < this.low) this.low = t.price;
    this.volume += t.size;
    this.turnover += t.size * t.price;
    this.lastPrice = t.price;
    this.lastSize = t.size;
    this.lastSide = t.side;
    this.recentTrades.push(t);
    // REST trade history: the last TRADE_HISTORY trades at least (trimmed in batches).
    if (this.recentTrades.length >= 2 * TRADE_HISTORY) this.recentTrades.splice(0, TRADE_HISTORY);
  }

  /** Last `n` trades, newest last. */
  lastTrades(n: number): ModelTrade[] {
    return this.recentTrades.slice(-n);
  }
}
