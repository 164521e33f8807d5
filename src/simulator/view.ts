// A client's view of a book truncated to a subscribed depth (Kraken `depth`,
// Bybit `orderbook.N`, OKX `books`). After each model step, `diff()` returns the
// level updates that turn the previous view into the new one.
import type { BookSide, LevelChange } from './book';
import type { SymbolModel } from './model';

export interface ViewUpdate {
  side: BookSide;
  price: number;
  /** 0 = removed from the view. */
  size: number;
}

export class DepthView {
  private bids = new Map<number, number>();
  private asks = new Map<number, number>();
  private worstBid = 0;
  private worstAsk = 0;
  /** Venue sequence of this view (Bybit `u`, OKX `seqId`). */
  seq: number;

  constructor(
    private readonly model: SymbolModel,
    readonly depth: number,
    /** true: levels pushed out of range are sent with size 0; false: the client truncates (Kraken). */
    private readonly announcePushedOut: boolean,
    startSeq: number,
  ) {
    this.seq = startSeq;
    this.reset();
  }

  /** Re-reads the current top `depth` levels (snapshot). */
  reset(): void {
    const b = this.model.book.top('bid', this.depth);
    const a = this.model.book.top('ask', this.depth);
    this.bids = new Map(b);
    this.asks = new Map(a);
    this.worstBid = b.length ? b[b.length - 1]![0] : 0;
    this.worstAsk = a.length ? a[a.length - 1]![0] : 0;
  }

  /** Current view, best first. */
  levels(side: BookSide): Array<[number, number]> {
    return this.model.book.top(side, this.depth);
  }

  /** Updates since the last call; `changes` (the step's changed levels) lets untouched sides be skipped. */
  diff(changes: readonly LevelChange[]): { bids: ViewUpdate[]; asks: ViewUpdate[] } {
    return {
      bids: this.touches('bid', changes) ? this.diffSide('bid', changes) : [],
      asks: this.touches('ask', changes) ? this.diffSide('ask', changes) : [],
    };
  }

  /** Whether any change may alter this side of the view. */
  private touches(side: BookSide, changes: readonly LevelChange[]): boolean {
    const old = side === 'bid' ? this.bids : this.asks;
    if (old.size < this.depth) {
      for (const c of changes) if (c.side === side) return true;
      return false;
    }
    // Full view: only changes at or above its worst price matter.
    const worst = side === 'bid' ? this.worstBid : this.worstAsk;
    for (const c of changes) {
      if (c.side !== side) continue;
      if (side === 'bid' ? c.price >= worst : c.price <= worst) return true;
    }
    return false;
  }

  /**
   * Incremental: O(changes × log levels). Levels that enter the view from
   * below (after deletions inside it) are the worst of the new view; levels
   * pushed out (after insertions) are the old view's levels now ranked >= depth.
   */
  private diffSide(side: BookSide, changes: readonly LevelChange[]): ViewUpdate[] {
    const view = side === 'bid' ? this.bids : this.asks;
    const lvl = this.model.book.side(side);
    const prices = lvl.prices;
    const out: ViewUpdate[] = [];
    for (const c of changes) {
      if (c.side !== side) continue;
      const had = view.get(c.price);
      if (c.size === 0) {
        if (had !== undefined) {
          view.delete(c.price);
          out.push({ side, price: c.price, size: 0 });
        }
        continue;
      }
      if (lvl.rank(c.price) < this.depth) {
        if (had !== c.size) {
          view.set(c.price, c.size);
          out.push({ side, price: c.price, size: c.size });
        }
      } else if (had !== undefined) {
        view.delete(c.price);
        if (this.announcePushedOut) out.push({ side, price: c.price, size: 0 });
      }
    }
    // Pushed below the depth by better levels.
    for (let i = this.depth; i < prices.length && view.size > this.depth; i++) {
      const p = prices[i]!;
      if (view.delete(p) && this.announcePushedOut) out.push({ side, price: p, size: 0 });
    }
    // Entered from below after deletions inside the view.
    const n = Math.min(this.depth, prices.length);
    for (let i = n - 1; i >= 0 && view.size < n; i--) {
      const p = prices[i]!;
      if (view.has(p)) continue;
      const size = lvl.get(p);
      view.set(p, size);
      out.push({ side, price: p, size });
    }
    const worst = n > 0 ? prices[n - 1]! : 0;
    if (side === 'bid') this.worstBid = worst;
    else this.worstAsk = worst;
    return out;
  }
}
