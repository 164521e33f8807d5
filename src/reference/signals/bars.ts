// Tumbling OHLCV bars in event time (mirror of native/signals/bars.cpp).
import { floorDiv, floorStart, SortedRing } from './windows';

export interface Bar {
  start: number;
  openTs: number;
  closeTs: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  pv: number;
  trades: number;
  revision: number;
}

interface Pending {
  ts: number;
  price: number;
  qty: number;
}

export type LateOutcome = 'merged' | 'revised' | 'too_old';

const newBar = (start: number, ts: number, price: number, qty: number, revision: number): Bar => ({
  start,
  openTs: ts,
  closeTs: ts,
  open: price,
  high: price,
  low: price,
  close: price,
  volume: qty,
  pv: price * qty,
  trades: 1,
  revision,
});

export class BarSeries {
  private readonly pending = new SortedRing<Pending>();
  /** Final bars kept for revisions, direct-mapped by bar index mod length (empty: policy drop). */
  private readonly finals: (Bar | undefined)[];

  constructor(
    readonly interval: number,
    retainBars: number,
  ) {
    this.finals = new Array<Bar | undefined>(retainBars);
  }

  get hasPending(): boolean {
    return this.pending.size > 0;
  }

  /** A trade that is not late: its bar is still open. */
  add(ts: number, price: number, qty: number): void {
    this.pending.insert({ ts, price, qty });
  }

  /** The oldest bar whose end <= watermark, removed from the open bars; null when none. */
  popFinal(watermark: number): Bar | null {
    const p = this.pending;
    if (p.size === 0) return null;
    const start = floorStart(p.front().ts, this.interval);
    const end = start + this.interval;
    if (end > watermark) return null;
    const first = p.front();
    p.popFront();
    const bar = newBar(start, first.ts, first.price, first.qty, 0);
    while (p.size > 0 && p.front().ts < end) {
      const t = p.front();
      p.popFront();
      if (t.price > bar.high) bar.high = t.price;
      if (t.price < bar.low) bar.low = t.price;
      bar.close = t.price;
      bar.closeTs = t.ts;
      bar.volume += t.qty;
      bar.pv += t.price * t.qty;
      bar.trades++;
    }
    if (this.finals.length > 0) this.finals[this.slot(start)] = { ...bar };
    return bar;
  }

  /** Policy `revise` for a trade with ts < watermark; `bar` is set when the outcome is 'revised'. */
  revise(ts: number, price: number, qty: number, watermark: number): { outcome: LateOutcome; bar?: Bar } {
    const start = floorStart(ts, this.interval);
    if (start + this.interval > watermark) {
      this.pending.insert({ ts, price, qty });
      return { outcome: 'merged' };
    }
    const lastFinal = floorDiv(watermark, this.interval) - 1;
    if (this.finals.length === 0 || lastFinal - floorDiv(ts, this.interval) >= this.finals.length) {
      return { outcome: 'too_old' };
    }
    const slot = this.slot(start);
    let b = this.finals[slot];
    if (b === undefined || b.start !== start) {
      b = newBar(start, ts, price, qty, 1);
      this.finals[slot] = b;
    } else {
      if (ts < b.openTs) {
        b.open = price;
        b.openTs = ts;
      }
      if (ts >= b.closeTs) {
        b.close = price;
        b.closeTs = ts;
      }
      if (price > b.high) b.high = price;
      if (price < b.low) b.low = price;
      b.volume += qty;
      b.pv += price * qty;
      b.trades++;
      b.revision++;
    }
    return { outcome: 'revised', bar: { ...b } };
  }

  private slot(start: number): number {
    const n = this.finals.length;
    const m = floorDiv(start, this.interval) % n;
    return m < 0 ? m + n : m;
  }
}
