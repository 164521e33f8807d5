// bbo, depth_imbalance and ofi computations (mirror of native/signals/quote.cpp).

export interface Top {
  bidPx: number;
  bidQty: number;
  askPx: number;
  askQty: number;
}

const positive = (v: number): boolean => Number.isFinite(v) && v > 0;
export const bidPresent = (t: Top): boolean => positive(t.bidPx) && positive(t.bidQty);
export const askPresent = (t: Top): boolean => positive(t.askPx) && positive(t.askQty);
export const twoSided = (t: Top): boolean => bidPresent(t) && askPresent(t);
export const sameTop = (a: Top, b: Top): boolean =>
  a.bidPx === b.bidPx && a.bidQty === b.bidQty && a.askPx === b.askPx && a.askQty === b.askQty;

export interface BboFields extends Top {
  mid: number;
  spreadBps: number;
  microprice: number;
  imbalance: number;
}

/** The bbo fields of a two-sided top (every denominator is > 0 then). */
export function bboFields(t: Top): BboFields {
  const mid = (t.bidPx + t.askPx) / 2;
  const qty = t.bidQty + t.askQty;
  return {
    bidPx: t.bidPx,
    bidQty: t.bidQty,
    askPx: t.askPx,
    askQty: t.askQty,
    mid,
    spreadBps: ((t.askPx - t.bidPx) / mid) * 10000,
    microprice: (t.bidPx * t.askQty + t.askPx * t.bidQty) / qty,
    imbalance: (t.bidQty - t.askQty) / qty,
  };
}

/** Cont–Kukanov–Stoikov order-flow event between two consecutive two-sided tops. */
export function ofiEvent(prev: Top, cur: Top): number {
  let e = 0;
  if (cur.bidPx >= prev.bidPx) e += cur.bidQty;
  if (cur.bidPx <= prev.bidPx) e -= prev.bidQty;
  if (cur.askPx <= prev.askPx) e -= cur.askQty;
  if (cur.askPx >= prev.askPx) e += prev.askQty;
  return e;
}

/** Σ of the first min(n, levels) quantities (non-finite or non-positive ones count 0). */
export function sumLevels(qty: readonly number[], levels: number): number {
  let sum = 0;
  const m = qty.length < levels ? qty.length : levels;
  for (let i = 0; i < m; i++) {
    const q = qty[i]!;
    if (Number.isFinite(q) && q > 0) sum += q;
  }
  return sum;
}
