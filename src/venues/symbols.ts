// Canonical symbols (`BTC-USDT`, `BTC-USDT-PERP`) and each venue's spelling.
// The venues' instrument lists (exchangeInfo and equivalents, fetched at
// start) are authoritative; the derived spelling is the fallback when a venue
// cannot be asked.
import type { Market, VenueId } from '../events';
import type { Instrument } from './types';

export interface CanonicalParts {
  canonical: string;
  base: string;
  quote: string;
  market: Market;
}

export function parseCanonicalSymbol(symbol: string): CanonicalParts {
  const s = symbol.trim().toUpperCase();
  const m = /^([A-Z0-9]{1,20})-([A-Z0-9]{1,20})(-PERP)?$/.exec(s);
  if (!m) throw new Error(`bad symbol '${symbol}': expected BASE-QUOTE or BASE-QUOTE-PERP`);
  return { canonical: s, base: m[1]!, quote: m[2]!, market: m[3] ? 'perp' : 'spot' };
}

export function canonicalOf(base: string, quote: string, market: Market): string {
  return `${base.toUpperCase()}-${quote.toUpperCase()}${market === 'perp' ? '-PERP' : ''}`;
}

/** The spelling a venue is expected to use, when its instrument list is not available. */
export function derivedVenueSymbol(venue: VenueId, p: CanonicalParts): string {
  switch (venue) {
    case 'binance':
    case 'binance-futures':
    case 'bybit':
      return `${p.base}${p.quote}`;
    case 'coinbase':
    case 'coinbase-advanced':
      return `${p.base}-${p.quote}`;
    case 'kraken':
      return `${p.base}/${p.quote}`;
    case 'okx':
      return p.market === 'perp' ? `${p.base}-${p.quote}-SWAP` : `${p.base}-${p.quote}`;
  }
}

/** Kraken's legacy asset names (REST, v1) → common ones. */
export function krakenAsset(name: string): string {
  const n = name.toUpperCase();
  if (n === 'XBT' || n === 'XXBT') return 'BTC';
  if (n === 'XDG' || n === 'XXDG') return 'DOGE';
  return n;
}

/** Canonical ↔ venue spelling for one connector. */
export class SymbolMap {
  private readonly byCanonical = new Map<string, Instrument>();
  /** `${market}:${venueSymbol}` → instrument. */
  private readonly byVenue = new Map<string, Instrument>();

  constructor(instruments: readonly Instrument[]) {
    for (const i of instruments) {
      this.byCanonical.set(i.canonical, i);
      this.byVenue.set(`${i.market}:${i.venueSymbol}`, i);
    }
  }

  get size(): number {
    return this.byCanonical.size;
  }

  canonical(canonical: string): Instrument | undefined {
    return this.byCanonical.get(canonical.toUpperCase());
  }

  venue(venueSymbol: string, market: Market = 'spot'): Instrument | undefined {
    return this.byVenue.get(`${market}:${venueSymbol}`);
  }

  all(): Instrument[] {
    return [...this.byCanonical.values()];
  }
}

/**
 * Picks the configured symbols out of a venue's instrument list. Symbols the
 * venue does not list are returned in `missing`.
 */
export function selectInstruments(
  listed: readonly Instrument[],
  wanted: readonly string[],
): { instruments: Instrument[]; missing: string[] } {
  const map = new SymbolMap(listed);
  const instruments: Instrument[] = [];
  const missing: string[] = [];
  for (const w of wanted) {
    const i = map.canonical(parseCanonicalSymbol(w).canonical);
    if (i) {
      if (!instruments.includes(i)) instruments.push(i);
    } else missing.push(w);
  }
  return { instruments, missing };
}

/** Instruments with the derived spelling (no REST). */
export function derivedInstruments(venue: VenueId, wanted: readonly string[]): Instrument[] {
  return wanted.map((w) => {
    const p = parseCanonicalSymbol(w);
    return {
      canonical: p.canonical,
      base: p.base,
      quote: p.quote,
      market: p.market,
      venueSymbol: derivedVenueSymbol(venue, p),
    };
  });
}
