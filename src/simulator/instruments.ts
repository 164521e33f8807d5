// Instrument specs and the mapping from canonical symbols (BTC-USDT,
// BTC-USDT-PERP) to each venue's own spelling.
import type { Market, VenueId } from '../events';

export interface InstrumentSpec {
  canonical: string;
  base: string;
  quote: string;
  market: Market;
  /** Tick size = 10^-priceExp. */
  priceExp: number;
  /** Lot size = 10^-sizeExp. */
  sizeExp: number;
  /** Starting price in quote units. */
  initialPrice: number;
  /** Mean resting size per level, in base units (contracts for OKX swaps). */
  meanLevelSize: number;
}

interface BaseDefaults {
  price: number;
  priceExp: number;
  sizeExp: number;
  perpSizeExp: number;
  meanSize: number;
}

const BASES: Record<string, BaseDefaults> = {
  BTC: { price: 65_000, priceExp: 1, sizeExp: 5, perpSizeExp: 3, meanSize: 0.5 },
  ETH: { price: 3_000, priceExp: 2, sizeExp: 4, perpSizeExp: 3, meanSize: 5 },
  SOL: { price: 150, priceExp: 2, sizeExp: 2, perpSizeExp: 1, meanSize: 50 },
};
const OTHER: BaseDefaults = { price: 10, priceExp: 3, sizeExp: 1, perpSizeExp: 0, meanSize: 500 };

export interface CanonicalSymbol {
  canonical: string;
  base: string;
  quote: string;
  market: Market;
}

/** `BTC-USDT` / `BTC-USDT-PERP` → parts; throws on anything else. */
export function parseCanonical(symbol: string): CanonicalSymbol {
  const s = symbol.trim().toUpperCase();
  const m = /^([A-Z0-9]{2,12})-([A-Z0-9]{2,12})(-PERP)?$/.exec(s);
  if (!m) throw new Error(`bad symbol '${symbol}': expected BASE-QUOTE or BASE-QUOTE-PERP`);
  return { canonical: s, base: m[1]!, quote: m[2]!, market: m[3] ? 'perp' : 'spot' };
}

export function specFor(venue: VenueId, sym: CanonicalSymbol): InstrumentSpec {
  const d = BASES[sym.base] ?? OTHER;
  let sizeExp = sym.market === 'perp' ? d.perpSizeExp : d.sizeExp;
  let meanLevelSize = d.meanSize;
  if (venue === 'okx' && sym.market === 'perp') {
    // OKX swaps trade in contracts (ctVal 0.01 BTC, 0.1 ETH …); sizes are contract counts.
    sizeExp = 2;
    meanLevelSize = Math.max(1, d.meanSize / okxCtVal(sym.base));
  }
  return {
    canonical: sym.canonical,
    base: sym.base,
    quote: sym.quote,
    market: sym.market,
    priceExp: d.priceExp,
    sizeExp,
    initialPrice: d.price,
    meanLevelSize,
  };
}

export function okxCtVal(base: string): number {
  return base === 'BTC' ? 0.01 : base === 'ETH' ? 0.1 : 1;
}

/** Which markets a venue serves. */
export const VENUE_MARKETS: Record<VenueId, readonly Market[]> = {
  binance: ['spot'],
  'binance-futures': ['perp'],
  coinbase: ['spot'],
  'coinbase-advanced': ['spot'],
  kraken: ['spot'],
  bybit: ['spot', 'perp'],
  okx: ['spot', 'perp'],
};

/**
 * The canonical symbols a venue lists: those of its markets from the given
 * list; a market with none given takes the other market's symbols (so
 * `--symbols BTC-USDT` also lists BTC-USDT-PERP on binance-futures).
 */
export function symbolsForVenue(venue: VenueId, symbols: readonly CanonicalSymbol[]): CanonicalSymbol[] {
  const out: CanonicalSymbol[] = [];
  for (const market of VENUE_MARKETS[venue]) {
    let list = symbols.filter((s) => s.market === market);
    if (list.length === 0) {
      list = symbols.map((s) => ({
        ...s,
        market,
        canonical: market === 'perp' ? `${s.base}-${s.quote}-PERP` : `${s.base}-${s.quote}`,
      }));
    }
    for (const s of list) if (!out.some((o) => o.canonical === s.canonical)) out.push(s);
  }
  return out;
}

/** The venue's own symbol text for payloads and REST. */
export function venueSymbol(venue: VenueId, s: CanonicalSymbol): string {
  switch (venue) {
    case 'binance':
    case 'binance-futures':
    case 'bybit':
      return `${s.base}${s.quote}`;
    case 'coinbase':
    case 'coinbase-advanced':
      return `${s.base}-${s.quote}`;
    case 'kraken':
      return `${s.base}/${s.quote}`;
    case 'okx':
      return s.market === 'perp' ? `${s.base}-${s.quote}-SWAP` : `${s.base}-${s.quote}`;
  }
}
