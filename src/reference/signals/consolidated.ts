// nbbo and basis computations (mirror of native/signals/consolidated.cpp).
import { askPresent, bidPresent, type Top } from './quote';

export interface Nbbo {
  bidPx: number;
  bidQty: number;
  askPx: number;
  askQty: number;
  /** Venue codes; 0 when no venue contributes the side. */
  bidVenue: number;
  askVenue: number;
}

export const emptyNbbo = (): Nbbo => ({ bidPx: 0, bidQty: 0, askPx: 0, askQty: 0, bidVenue: 0, askVenue: 0 });
export const nbboValid = (n: Nbbo): boolean => n.bidVenue !== 0 && n.askVenue !== 0;

/** Offer one eligible venue's top, in ascending venue-code order. */
export function offer(n: Nbbo, venue: number, t: Top): void {
  if (bidPresent(t) && (n.bidVenue === 0 || t.bidPx > n.bidPx || (t.bidPx === n.bidPx && t.bidQty > n.bidQty))) {
    n.bidPx = t.bidPx;
    n.bidQty = t.bidQty;
    n.bidVenue = venue;
  }
  if (askPresent(t) && (n.askVenue === 0 || t.askPx < n.askPx || (t.askPx === n.askPx && t.askQty > n.askQty))) {
    n.askPx = t.askPx;
    n.askQty = t.askQty;
    n.askVenue = venue;
  }
}

export const sameNbbo = (a: Nbbo, b: Nbbo): boolean =>
  a.bidPx === b.bidPx &&
  a.bidQty === b.bidQty &&
  a.askPx === b.askPx &&
  a.askQty === b.askQty &&
  a.bidVenue === b.bidVenue &&
  a.askVenue === b.askVenue;

export function crossOf(n: Nbbo): { crossed: boolean; crossBps: number } {
  const crossed = nbboValid(n) && n.bidPx > n.askPx;
  return { crossed, crossBps: crossed ? ((n.bidPx - n.askPx) / n.askPx) * 10000 : 0 };
}

/** Binance spot (1) pairs with binance-futures (2); other venues list their perps themselves. */
export const perpVenueFor = (spotVenue: number): number => (spotVenue === 1 ? 2 : spotVenue);
export const spotVenueFor = (perpVenue: number): number => (perpVenue === 2 ? 1 : perpVenue);

export interface BasisLast {
  emitted: boolean;
  valid: boolean;
  spotMid: number;
  perpMid: number;
}
export const noBasis = (): BasisLast => ({ emitted: false, valid: false, spotMid: 0, perpMid: 0 });

export const midOf = (t: Top): number => (t.bidPx + t.askPx) / 2;
export const basisBps = (spotMid: number, perpMid: number): number => ((perpMid - spotMid) / spotMid) * 10000;

export const PERP_SUFFIX = '-PERP';
