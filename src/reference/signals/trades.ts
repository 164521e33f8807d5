// trade_stats windows and the time-decay EMA (mirror of native/signals/trades.cpp).
import { SortedRing } from './windows';

interface WindowTrade {
  ts: number;
  price: number;
  qty: number;
  sell: boolean;
}

export interface TradeStatsFields {
  ts: number;
  window: number;
  vwap: number;
  volume: number;
  buyVolume: number;
  sellVolume: number;
  trades: number;
  tfi: number;
  rv: number;
}

function ret2(a: WindowTrade, b: WindowTrade): number {
  const r = Math.log(b.price / a.price);
  return r * r;
}

/** Trades with ts in (T − window, T], T = the largest trade ts added, sorted by ts. */
export class TradeWindow {
  private maxTs = 0;
  private hasMax = false;
  private volume = 0;
  private pv = 0;
  private buy = 0;
  private sell = 0;
  private rv2 = 0;
  private removals = 0;
  private readonly trades = new SortedRing<WindowTrade>();

  constructor(readonly window: number) {}

  add(ts: number, price: number, qty: number, sell: boolean): void {
    if (this.hasMax && ts <= this.maxTs - this.window) return;
    const t = this.trades;
    const pos = t.insert({ ts, price, qty, sell });
    this.volume += qty;
    this.pv += price * qty;
    if (sell) this.sell += qty;
    else this.buy += qty;
    const hasPrev = pos > 0;
    const hasNext = pos + 1 < t.size;
    if (hasPrev && hasNext) {
      this.rv2 -= ret2(t.at(pos - 1), t.at(pos + 1));
      this.removals++;
    }
    if (hasPrev) this.rv2 += ret2(t.at(pos - 1), t.at(pos));
    if (hasNext) this.rv2 += ret2(t.at(pos), t.at(pos + 1));
    if (!this.hasMax || ts > this.maxTs) {
      this.maxTs = ts;
      this.hasMax = true;
    }
    const cutoff = this.maxTs - this.window;
    while (t.size > 0 && t.front().ts <= cutoff) {
      const f = t.front();
      this.volume -= f.qty;
      this.pv -= f.price * f.qty;
      if (f.sell) this.sell -= f.qty;
      else this.buy -= f.qty;
      if (t.size > 1) this.rv2 -= ret2(f, t.at(1));
      t.popFront();
      this.removals++;
    }
    if (this.removals >= t.size) this.rebuild();
  }

  /** The window's statistics; null when it holds no volume. */
  fields(): TradeStatsFields | null {
    if (this.trades.size === 0 || !(this.volume > 0)) return null;
    return {
      ts: this.maxTs,
      window: this.window,
      vwap: this.pv / this.volume,
      volume: this.volume,
      buyVolume: this.buy,
      sellVolume: this.sell,
      trades: this.trades.size,
      tfi: (this.buy - this.sell) / this.volume,
      rv: Math.sqrt(this.rv2 > 0 ? this.rv2 : 0),
    };
  }

  private rebuild(): void {
    this.volume = 0;
    this.pv = 0;
    this.buy = 0;
    this.sell = 0;
    this.rv2 = 0;
    const t = this.trades;
    for (let i = 0; i < t.size; i++) {
      const e = t.at(i);
      this.volume += e.qty;
      this.pv += e.price * e.qty;
      if (e.sell) this.sell += e.qty;
      else this.buy += e.qty;
      if (i > 0) this.rv2 += ret2(t.at(i - 1), e);
    }
    this.removals = 0;
  }
}

/** value ← value + α(p − value), α = 1 − 2^(−Δt/H), Δt from the state's time, clamped at 0. */
export class Ema {
  has = false;
  value = 0;
  ts = 0;

  constructor(readonly halfLife: number) {}

  add(ts: number, price: number): void {
    if (!this.has) {
      this.has = true;
      this.value = price;
      this.ts = ts;
      return;
    }
    const dt = ts > this.ts ? ts - this.ts : 0;
    const alpha = 1 - Math.pow(2, -dt / this.halfLife);
    this.value = this.value + alpha * (price - this.value);
    if (ts > this.ts) this.ts = ts;
  }
}
