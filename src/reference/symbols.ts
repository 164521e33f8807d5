// Canonical symbols (docs/events.md, "Symbols"): BASE-QUOTE for spot,
// BASE-QUOTE-PERP for perpetual swaps, dated contracts keep their date.
import type { Market, VenueId } from '../events';

/** The doc's quote-asset list; matched longest suffix first. */
export const QUOTE_ASSETS: readonly string[] = [
  'USDT',
  'USDC',
  'FDUSD',
  'BUSD',
  'TUSD',
  'USDE',
  'DAI',
  'BTC',
  'ETH',
  'BNB',
  'EUR',
  'TRY',
  'BRL',
  'GBP',
  'AUD',
  'JPY',
  'USD',
];
const QUOTES_LONGEST_FIRST = [...QUOTE_ASSETS].sort((a, b) => b.length - a.length);

/** Instrument metadata (e.g. from exchangeInfo / instruments-info) for one joined symbol. */
export interface InstrumentInfo {
  symbol: string;
  base: string;
  quote: string;
}

/** `BTCUSDT` → `BTC-USDT` by the quote-asset list; undefined when no quote matches. */
export function splitByQuoteList(joined: string): string | undefined {
  for (const quote of QUOTES_LONGEST_FIRST) {
    // The base must not be empty: `USDT` alone is not a pair.
    if (joined.length > quote.length && joined.endsWith(quote)) {
      return `${joined.slice(0, -quote.length)}-${quote}`;
    }
  }
  return undefined;
}

/**
 * Upper case for ASCII letters only, as native does: full Unicode case
 * mapping would change other text and its length (`ß` -> `SS`).
 */
function asciiUpper(s: string): string {
  return s.replace(/[a-z]+/g, (m) => m.toUpperCase());
}

// Hostile input can carry unbounded distinct symbols; the cache must not grow without end.
const CACHE_LIMIT = 65_536;

/**
 * Maps venue symbols to canonical ones. Results are cached because the same
 * few symbols repeat on every frame and the string work is not free.
 */
export class SymbolMapper {
  private readonly instruments = new Map<VenueId, Map<string, string>>();
  /** Per venue and market, so a lookup needs no key concatenation. */
  private readonly cache = new Map<VenueId, [spot: Map<string, string>, perp: Map<string, string>]>();

  /** Loaded metadata takes precedence over the quote-asset list for joined symbols. */
  setInstruments(venue: VenueId, list: Iterable<InstrumentInfo>): void {
    const pairs = new Map<string, string>();
    for (const i of list) pairs.set(asciiUpper(i.symbol), `${asciiUpper(i.base)}-${asciiUpper(i.quote)}`);
    this.instruments.set(venue, pairs);
    this.cache.clear();
  }

  canonical(venue: VenueId, raw: string, market: Market | undefined): string {
    let byMarket = this.cache.get(venue);
    if (byMarket === undefined) {
      byMarket = [new Map(), new Map()];
      this.cache.set(venue, byMarket);
    }
    const cache = market === 'perp' ? byMarket[1] : byMarket[0];
    let symbol = cache.get(raw);
    if (symbol === undefined) {
      symbol = this.compute(venue, asciiUpper(raw), market);
      if (cache.size >= CACHE_LIMIT) cache.clear();
      cache.set(raw, symbol);
    }
    return symbol;
  }

  private compute(venue: VenueId, s: string, market: Market | undefined): string {
    switch (venue) {
      case 'binance':
        return this.pair(venue, s) ?? s;
      case 'binance-futures': {
        // `BTCUSDT_230331` is a delivery contract; without the suffix it is perpetual.
        const underscore = s.indexOf('_');
        const core = underscore < 0 ? s : s.slice(0, underscore);
        const pair = this.pair(venue, core);
        if (pair === undefined) return s;
        return underscore < 0 ? `${pair}-PERP` : `${pair}-${s.slice(underscore + 1)}`;
      }
      case 'bybit': {
        // Dated futures and options (`BTC-26DEC25`, `BTC-6JAN23-17500-C`) already carry dashes.
        if (s.includes('-')) return s;
        const pair = this.pair(venue, s);
        if (pair === undefined) return s;
        return market === 'perp' ? `${pair}-PERP` : pair;
      }
      case 'okx':
        return s.endsWith('-SWAP') ? `${s.slice(0, -5)}-PERP` : s;
      case 'kraken':
        return s.replace('/', '-');
      case 'coinbase':
      case 'coinbase-advanced':
        return s;
    }
  }

  private pair(venue: VenueId, joined: string): string | undefined {
    return this.instruments.get(venue)?.get(joined) ?? splitByQuoteList(joined);
  }
}
