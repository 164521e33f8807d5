// A limit order book on an integer grid: prices in ticks, sizes in lots.
// Limit orders add to levels, cancels remove from them, market orders sweep the
// opposite side. Every level touched since the last `drainChanges()` is
// remembered, so depth deltas always agree with trades and top-of-book.

export type BookSide = 'bid' | 'ask';

export interface LevelChange {
  side: BookSide;
  /** Price in ticks. */
  price: number;
  /** New absolute size in lots; 0 = level removed. */
  size: number;
}

export interface Fill {
  price: number;
  size: number;
}

/** Sorted price list: bids descending, asks ascending (index 0 = best). */
class SideLevels {
  readonly prices: number[] = [];
  readonly sizes = new Map<number, number>();

  constructor(private readonly descending: boolean) {}

  /** Index where `price` is or would be inserted. */
  private indexOf(price: number): number {
    const p = this.prices;
    let lo = 0;
    let hi = p.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const better = this.descending ? p[mid]! > price : p[mid]! < price;
      if (better) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  set(price: number, size: number): void {
    if (size <= 0) {
      if (this.sizes.delete(price)) this.prices.splice(this.indexOf(price), 1);
      return;
    }
    if (!this.sizes.has(price)) this.prices.splice(this.indexOf(price), 0, price);
    this.sizes.set(price, size);
  }

  get(price: number): number {
    return this.sizes.get(price) ?? 0;
  }

  best(): number | undefined {
    return this.prices[0];
  }

  /** 0-based rank of `price` if present, else -1. */
  rank(price: number): number {
    if (!this.sizes.has(price)) return -1;
    return this.indexOf(price);
  }
}

export class OrderBook {
  readonly bids = new SideLevels(true);
  readonly asks = new SideLevels(false);
  private readonly changed = new Map<string, LevelChange>();

  side(s: BookSide): SideLevels {
    return s === 'bid' ? this.bids : this.asks;
  }

  bestBid(): number | undefined {
    return this.bids.best();
  }

  bestAsk(): number | undefined {
    return this.asks.best();
  }

  private touch(side: BookSide, price: number, size: number): void {
    this.side(side).set(price, size);
    const key = side === 'bid' ? `b${price}` : `a${price}`;
    this.changed.set(key, { side, price, size: Math.max(0, size) });
  }

  /** Adds a resting order. The caller keeps it passive (never crossing). */
  addLimit(side: BookSide, price: number, size: number): void {
    if (size <= 0) return;
    const ask = this.bestAsk();
    const bid = this.bestBid();
    if (side === 'bid' && ask !== undefined && price >= ask) throw new Error('crossing bid');
    if (side === 'ask' && bid !== undefined && price <= bid) throw new Error('crossing ask');
    this.touch(side, price, this.side(side).get(price) + size);
  }

  /** Removes up to `size` lots at a level; returns lots actually removed. */
  cancel(side: BookSide, price: number, size: number): number {
    const have = this.side(side).get(price);
    if (have === 0) return 0;
    const removed = Math.min(have, size);
    this.touch(side, price, have - removed);
    return removed;
  }

  /** Removes a whole level. */
  removeLevel(side: BookSide, price: number): void {
    if (this.side(side).get(price) > 0) this.touch(side, price, 0);
  }

  /** Taker `side` buys from asks / sells to bids, best price first; returns one fill per level. */
  market(side: 'buy' | 'sell', size: number, limitLevels = 1_000_000): Fill[] {
    const book = side === 'buy' ? this.asks : this.bids;
    const bookSide: BookSide = side === 'buy' ? 'ask' : 'bid';
    const fills: Fill[] = [];
    let left = size;
    while (left > 0 && fills.length < limitLevels) {
      const price = book.best();
      if (price === undefined) break;
      const have = book.get(price);
      const take = Math.min(have, left);
      this.touch(bookSide, price, have - take);
      fills.push({ price, size: take });
      left -= take;
    }
    return fills;
  }

  /** Levels changed since the last call, with absolute sizes (bids then asks, in touch order). */
  drainChanges(): LevelChange[] {
    if (this.changed.size === 0) return [];
    const out = [...this.changed.values()];
    this.changed.clear();
    return out;
  }

  /** Best `n` levels of a side as [price, size] (best first). */
  top(side: BookSide, n: number): Array<[number, number]> {
    const s = this.side(side);
    const count = Math.min(n, s.prices.length);
    const out = new Array<[number, number]>(count);
    for (let i = 0; i < count; i++) {
      const p = s.prices[i]!;
      out[i] = [p, s.sizes.get(p)!];
    }
    return out;
  }

  depth(side: BookSide): number {
    return this.side(side).prices.length;
  }
}
