// Shared venue-fixture harness: turns the records in /work/shared/fixtures/venues
// into engine-agnostic test cases and checks an engine's canonical events
// against the fixture's own `expected` meaning. Used for the TS reference and
// the native engine alike, so nothing here may depend on either.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CanonicalEvent, Market, RejectReason, Side, StatusKind, VenueId } from '../../src/events';

export const FIXTURE_ROOT = process.env.TICKWIRE_FIXTURES ?? '/work/shared/fixtures/venues';

/** Fixture folder → tickwire venue id. kraken-v1 (legacy array format) is not a tickwire venue. */
export const FOLDER_VENUES: Readonly<Record<string, VenueId>> = {
  'binance-spot': 'binance',
  'binance-usdm': 'binance-futures',
  'coinbase-exchange': 'coinbase',
  'coinbase-advanced': 'coinbase-advanced',
  'kraken-v2': 'kraken',
  'bybit-v5': 'bybit',
  'okx-v5': 'okx',
};

/** recvTs for records that carry no `local_recv_ts` (doc examples, test fixtures). */
export const DEFAULT_RECV_TS = 1_700_000_000_000_000;

/** Prices and sizes stay decimal strings: the fixture's text, compared as decimals. */
export type ExpectedLevel = [price: string, size: string];

export type ExpectedEvent =
  | { type: 'trade'; symbol: string; ts: number | null; price: string; qty: string; side: Side; id: string }
  | { type: 'bbo'; symbol: string; ts: number | null; bidPx: string; bidQty: string; askPx: string; askQty: string }
  | {
      type: 'book';
      symbol: string;
      ts: number | null;
      snapshot: boolean;
      bids: ExpectedLevel[];
      asks: ExpectedLevel[];
      /** undefined: not checked; null: must be absent. */
      seq?: number | null;
      prevSeq?: number | null;
      checksum?: number | null;
    }
  | {
      type: 'derivative';
      symbol: string;
      ts: number | null;
      /** null: must be absent. */
      markPx: string | null;
      indexPx: string | null;
      fundingRate: string | null;
      nextFundingTs: number | null;
    }
  | { type: 'status'; kind: StatusKind; detail?: string }
  /** The fixture's content breaks a docs/events.md rule (e.g. size "0.-10000"). */
  | { type: 'reject'; reason: RejectReason };

export interface FixtureCase {
  /** Path relative to the fixture root, e.g. `okx-v5/trades.jsonl`. */
  file: string;
  /** 1-based line in the file. */
  line: number;
  venue: VenueId;
  market: Market;
  raw: string;
  recvTs: number;
  /** The canonical meaning, or null when the record's meaning is not a canonical event. */
  expected: ExpectedEvent[] | null;
  /** Why `expected` is null. */
  skipReason?: string;
}

/** An engine under test: one raw frame in, canonical events out. */
export type NormalizeFn = (venue: VenueId, raw: Uint8Array, recvTs: number, market: Market) => CanonicalEvent[];

// ---------------------------------------------------------------------------
// Narrowing helpers for fixture JSON (a surprise in a fixture is a loud error).

type Obj = { readonly [key: string]: unknown };

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function obj(v: unknown, what: string): Obj {
  if (!isObj(v)) throw new Error(`fixture: ${what} is not an object`);
  return v;
}
function arr(v: unknown, what: string): readonly unknown[] {
  if (!Array.isArray(v)) throw new Error(`fixture: ${what} is not an array`);
  return v;
}
function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new Error(`fixture: ${what} is not a string`);
  return v;
}
function optStr(v: unknown, what: string): string | undefined {
  return v === undefined || v === null ? undefined : str(v, what);
}
function int(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`fixture: ${what} is not an integer`);
  return v;
}

// ---------------------------------------------------------------------------
// Symbols: an independent statement of the docs/events.md rules, fed with the
// fixture's own base/quote where it gives them.

const QUOTES_LONGEST_FIRST = [
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
].sort((a, b) => b.length - a.length);

function joinedPair(joined: string, base: string | undefined, quote: string | undefined): string | undefined {
  if (base !== undefined && quote !== undefined) return `${base}-${quote}`.toUpperCase();
  const quoteAsset = QUOTES_LONGEST_FIRST.find((q) => joined.length > q.length && joined.endsWith(q));
  return quoteAsset === undefined ? undefined : `${joined.slice(0, -quoteAsset.length)}-${quoteAsset}`;
}

export function expectedSymbol(venue: VenueId, market: Market, symbol: string, base?: string, quote?: string): string {
  const s = symbol.toUpperCase();
  switch (venue) {
    case 'binance':
      return joinedPair(s, base, quote) ?? s;
    case 'binance-futures': {
      const [core = s, delivery] = s.split('_');
      const pair = joinedPair(core, base, quote);
      if (pair === undefined) return s;
      return delivery === undefined ? `${pair}-PERP` : `${pair}-${delivery}`;
    }
    case 'bybit': {
      if (s.includes('-')) return s;
      const pair = joinedPair(s, base, quote);
      if (pair === undefined) return s;
      return market === 'perp' ? `${pair}-PERP` : pair;
    }
    case 'okx':
      return s.endsWith('-SWAP') ? `${s.slice(0, -'-SWAP'.length)}-PERP` : s;
    case 'kraken':
      return s.replace('/', '-');
    case 'coinbase':
    case 'coinbase-advanced':
      return s;
  }
}

// ---------------------------------------------------------------------------
// Decimals: the fixture keeps the venue's text; text outside the accepted
// grammar of docs/events.md means the frame is rejected, not normalized.

const UNSIGNED_DECIMAL = /^(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

class ExpectReject {
  constructor(readonly reason: RejectReason) {}
}

/** A price or size string that the engine must accept, else the reject it must give. */
function dec(v: unknown, what: string): string {
  const text = str(v, what);
  if (UNSIGNED_DECIMAL.test(text)) return text;
  throw new ExpectReject(
    text.startsWith('-') && UNSIGNED_DECIMAL.test(text.slice(1)) ? 'negative_value' : 'bad_number',
  );
}

// ---------------------------------------------------------------------------
// Times

/** A fixture timestamp object → µs; null when the fixture says there is none. */
function fixtureTs(v: unknown, what: string): number | null {
  if (v === null || v === undefined) return null;
  const t = obj(v, what);
  // A time before the epoch (Coinbase's zero time 0001-01-01) is "no time" (docs/events.md).
  if (typeof t.epoch_us === 'number') return t.epoch_us < 0 ? null : t.epoch_us;
  const unit = str(t.unit, `${what}.unit`);
  if (unit === 'ms') return int(t.value, `${what}.value`) * 1000;
  if (unit === 'ms (decimal string)') return Number(str(t.value, `${what}.value`)) * 1000;
  throw new Error(`fixture: ${what} has unsupported unit ${unit}`);
}

/** The canonical `ts`: matching-engine time where the fixture names one, else the event/envelope time. */
function pickTs(o: Obj): number | null {
  return (
    fixtureTs(o.exchange_ts, 'exchange_ts') ??
    fixtureTs(o.event_ts, 'event_ts') ??
    fixtureTs(o.envelope_ts, 'envelope_ts')
  );
}

/** `local_recv_ts` (seconds, string or number) → µs, truncated, without float error. */
export function recvTsOf(v: unknown): number {
  if (v === undefined) return DEFAULT_RECV_TS;
  const text = typeof v === 'number' ? String(v) : str(v, 'local_recv_ts');
  const [sec = '0', frac = ''] = text.split('.');
  return Number(sec) * 1_000_000 + Number((frac + '000000').slice(0, 6));
}

// ---------------------------------------------------------------------------
// Mapping one record's `expected` to canonical events

class Skip {
  constructor(readonly reason: string) {}
}

interface Ctx {
  venue: VenueId;
  market: Market;
  file: string;
  raw: string;
}

/** Records whose `expected` contradicts their `raw`; reported, never asserted. */
const KNOWN_DEFECTS: ReadonlyArray<{ file: string; rawIncludes: string; reason: string }> = [
  {
    file: 'bybit-v5/control.jsonl',
    rawIncludes: '"op":"auth"',
    reason: 'fixture defect: raw is an auth request/reply but expected says pong (raw/expected shifted)',
  },
];

function sym(c: Ctx, o: Obj): string {
  return expectedSymbol(c.venue, c.market, str(o.symbol, 'symbol'), optStr(o.base, 'base'), optStr(o.quote, 'quote'));
}

function levels(v: unknown, what: string): ExpectedLevel[] {
  return arr(v, what).map((l, i) => {
    const level = arr(l, `${what}[${i}]`);
    return [dec(level[0], `${what}[${i}][0]`), dec(level[1], `${what}[${i}][1]`)];
  });
}

function trade(c: Ctx, t: Obj): ExpectedEvent {
  const side = str(t.side, 'side');
  if (side !== 'buy' && side !== 'sell') throw new Error(`fixture: side ${side}`);
  // A trade without an id (2019 aggTrade lacking `a`) has id "" (docs/events.md).
  const id = t.trade_id === null ? '' : str(t.trade_id, 'trade_id');
  return {
    type: 'trade',
    symbol: sym(c, t),
    ts: pickTs(t),
    price: dec(t.price, 'price'),
    qty: dec(t.quantity, 'quantity'),
    side,
    id,
  };
}

function bbo(
  symbol: string,
  ts: number | null,
  bidPx: unknown,
  bidQty: unknown,
  askPx: unknown,
  askQty: unknown,
): ExpectedEvent {
  return {
    type: 'bbo',
    symbol,
    ts,
    bidPx: dec(bidPx, 'bid price'),
    bidQty: dec(bidQty, 'bid size'),
    askPx: dec(askPx, 'ask price'),
    askQty: dec(askQty, 'ask size'),
  };
}

function sequenceOf(e: Obj): { seq?: number | null; prevSeq?: number | null } {
  if (!('sequence' in e)) return {};
  if (e.sequence === null) return { seq: null, prevSeq: null };
  const s = obj(e.sequence, 'sequence');
  if (s.U !== undefined) {
    // Binance: seq = u; prevSeq = pu (futures) or U - 1 (spot).
    return { seq: int(s.u, 'u'), prevSeq: s.pu !== undefined ? int(s.pu, 'pu') : int(s.U, 'U') - 1 };
  }
  if (s.seqId !== undefined) {
    return {
      seq: int(s.seqId, 'seqId'),
      ...(s.prevSeqId === undefined ? {} : { prevSeq: int(s.prevSeqId, 'prevSeqId') }),
    };
  }
  if (s.u !== undefined) return { seq: int(s.u, 'u') }; // Bybit
  throw new Error('fixture: unknown sequence shape');
}

function checksumOf(e: Obj): { checksum?: number | null } {
  if (!('checksum' in e)) return {};
  const value = obj(e.checksum, 'checksum').value;
  return { checksum: value === null ? null : int(value, 'checksum.value') };
}

function book(c: Ctx, e: Obj, type: string): ExpectedEvent[] {
  if ('lastUpdateId' in e) throw new Skip('REST depth snapshot: not a stream frame');
  if (e.channel === 'bbo-tbt') {
    // docs/events.md maps OKX bbo-tbt to bbo, not to a one-level book.
    const bid = levels(e.bids, 'bids')[0];
    const ask = levels(e.asks, 'asks')[0];
    if (bid === undefined || ask === undefined) throw new Error('fixture: bbo-tbt without levels');
    return [bbo(sym(c, e), pickTs(e), bid[0], bid[1], ask[0], ask[1])];
  }
  return [
    {
      type: 'book',
      symbol: sym(c, e),
      ts: pickTs(e),
      snapshot: type === 'book_snapshot',
      bids: levels(e.bids, 'bids'),
      asks: levels(e.asks, 'asks'),
      ...sequenceOf(e),
      ...checksumOf(e),
    },
  ];
}

function advancedBooks(c: Ctx, e: Obj): ExpectedEvent[] {
  const ts = pickTs(e);
  const seq = int(e.sequence_num, 'sequence_num');
  return arr(e.book_events, 'book_events').map((b) => {
    const be = obj(b, 'book_event');
    return {
      type: 'book',
      symbol: sym(c, be),
      ts,
      snapshot: be.type === 'book_snapshot',
      bids: levels(be.bids, 'bids'),
      asks: levels(be.asks, 'asks'),
      seq,
    };
  });
}

function tickers(c: Ctx, e: Obj): ExpectedEvent[] {
  if (Array.isArray(e.tickers)) {
    return e.tickers.map((t) => {
      const k = obj(t, 'ticker');
      if (c.venue === 'kraken') return bbo(sym(c, k), pickTs(k), k.bid, k.bid_qty, k.ask, k.ask_qty);
      return bbo(sym(c, k), pickTs(e), k.best_bid, k.best_bid_quantity, k.best_ask, k.best_ask_quantity);
    });
  }
  // Coinbase's 2021 ticker had no sizes: docs/events.md fixes them to 0.
  const bidQty = e.best_bid_size === null && c.venue === 'coinbase' ? '0' : e.best_bid_size;
  const askQty = e.best_ask_size === null && c.venue === 'coinbase' ? '0' : e.best_ask_size;
  return [bbo(sym(c, e), pickTs(e), e.best_bid, bidQty, e.best_ask, askQty)];
}

/** Bybit tickers: bbo when both best prices are stated, derivative when any derivative field is. */
function bybitTicker(c: Ctx, e: Obj): ExpectedEvent[] {
  const f = obj(e.fields, 'fields');
  const ts = pickTs(e);
  const symbol = sym(c, f);
  const stated = (k: string): string | null => {
    const v = f[k];
    return typeof v === 'string' && v !== '' ? v : null;
  };
  const out: ExpectedEvent[] = [];
  if (stated('bid1Price') !== null && stated('ask1Price') !== null) {
    out.push(bbo(symbol, ts, f.bid1Price, f.bid1Size, f.ask1Price, f.ask1Size));
  }
  const markPx = stated('markPrice');
  const indexPx = stated('indexPrice');
  const fundingRate = stated('fundingRate');
  const nextFunding = stated('nextFundingTime');
  if (markPx !== null || indexPx !== null || fundingRate !== null || nextFunding !== null) {
    out.push({
      type: 'derivative',
      symbol,
      ts,
      markPx,
      indexPx,
      fundingRate,
      nextFundingTs: nextFunding === null ? null : Number(nextFunding) * 1000,
    });
  }
  return out;
}

function markPrice(c: Ctx, e: Obj): ExpectedEvent {
  const fundingRate = optStr(e.funding_rate, 'funding_rate');
  return {
    type: 'derivative',
    symbol: sym(c, e),
    ts: pickTs(e),
    markPx: dec(e.mark_price, 'mark_price'),
    indexPx: e.index_price === null || e.index_price === undefined ? null : dec(e.index_price, 'index_price'),
    fundingRate: fundingRate === undefined || fundingRate === '' ? null : fundingRate,
    nextFundingTs: fixtureTs(e.next_funding_ts, 'next_funding_ts'),
  };
}

function status(kind: StatusKind, detail?: string): ExpectedEvent {
  return detail === undefined ? { type: 'status', kind } : { type: 'status', kind, detail };
}

const CLIENT_FRAME = 'client->server frame: never received by a normalizer';

function mapExpected(c: Ctx, expected: unknown): ExpectedEvent[] {
  for (const d of KNOWN_DEFECTS) if (c.file === d.file && c.raw.includes(d.rawIncludes)) throw new Skip(d.reason);
  const e = obj(expected, 'expected');
  if (e.direction === 'client->server') throw new Skip(CLIENT_FRAME);
  if (e.type === undefined && Array.isArray(e.book_events)) return advancedBooks(c, e);
  const type = str(e.type, 'expected.type');
  switch (type) {
    case 'trade':
      return [trade(c, e)];
    case 'trades':
      return arr(e.trades, 'trades').map((t) => trade(c, obj(t, 'trade')));
    case 'book_ticker':
      return [bbo(sym(c, e), pickTs(e), e.bid_price, e.bid_qty, e.ask_price, e.ask_qty)];
    case 'ticker':
      return tickers(c, e);
    case 'ticker_snapshot':
    case 'ticker_delta':
      return bybitTicker(c, e);
    case 'book_snapshot':
    case 'book_update':
      return book(c, e, type);
    case 'mark_price':
      return [markPrice(c, e)];
    case 'heartbeat':
      return [status('heartbeat')];
    case 'pong':
      return [status('pong')];
    case 'subscribe_ack':
    case 'subscriptions_ack':
    case 'subscription_ack':
      return [status(e.success === false ? 'venue_error' : 'subscribed')];
    case 'control':
      if (e.inner_event === 'serverShutdown') return [status('info', 'serverShutdown')];
      if (e.ack_for_id !== undefined) return [status(e.success === false ? 'venue_error' : 'subscribed')];
      break;
    case 'ping':
    case 'subscribe':
      throw new Skip(CLIENT_FRAME);
    case 'combined_wrapper':
    case 'sequence_check':
      // Resolved by loadFixtureCases from an identical raw frame elsewhere in the folder.
      throw new NeedsTwin();
  }
  throw new Skip(`expected type "${type}" has no canonical mapping`);
}

class NeedsTwin {}

/** Binance payload types docs/events.md maps; any other is unknown_message. */
const BINANCE_EVENTS = new Set(['trade', 'aggTrade', 'bookTicker', 'depthUpdate', 'markPriceUpdate', 'serverShutdown']);

/**
 * A wrapper/verdict-only record whose frame appears nowhere else with content.
 * Binance wrappers name the payload type; Coinbase Advanced sequence records
 * are real frames whose verdict is all the fixture states, so their content is
 * read from the raw text (decimals as written) and `seq` is cross-checked
 * against the verdict's `sequence_num`.
 */
function withoutTwin(c: FixtureCase, e: Obj): ExpectedEvent[] {
  if (e.type === 'combined_wrapper') {
    const payload = str(e.payload_event_type, 'payload_event_type');
    if (!BINANCE_EVENTS.has(payload)) return [{ type: 'reject', reason: 'unknown_message' }];
    throw new Skip('combined-stream wrapper record without payload expectation');
  }
  if (c.venue === 'coinbase-advanced') {
    try {
      return advancedFromRaw(c, obj(JSON.parse(c.raw), 'raw'), obj(e.sync, 'sync'));
    } catch (err) {
      if (err instanceof ExpectReject) return [{ type: 'reject', reason: err.reason }];
      throw err;
    }
  }
  throw new Skip('verdict-only record; no content to compare');
}

/** RFC 3339 (Z only, as Coinbase sends it) → µs, truncating below µs. */
function rfc3339Us(text: string): number {
  const m = /^([^.]+?)(?:\.([0-9]+))?Z$/.exec(text);
  if (m === null || m[1] === undefined) throw new Error(`fixture: unsupported time ${text}`);
  return Date.parse(`${m[1]}Z`) * 1000 + Number(((m[2] ?? '') + '000000').slice(0, 6));
}

function advancedFromRaw(c: FixtureCase, raw: Obj, sync: Obj): ExpectedEvent[] {
  const seq = int(sync.sequence_num, 'sync.sequence_num');
  if (raw.sequence_num !== seq) throw new Error('fixture: verdict sequence_num differs from the frame');
  const ctx: Ctx = { venue: c.venue, market: c.market, file: c.file, raw: c.raw };
  const events = (): Obj[] => arr(raw.events, 'events').map((x) => obj(x, 'event'));
  switch (raw.channel) {
    case 'heartbeats':
      return [status('heartbeat')];
    case 'subscriptions':
      return [status('subscribed')];
    case 'l2_data': {
      const ts = rfc3339Us(str(raw.timestamp, 'timestamp'));
      return events().map((ev) => {
        const bids: ExpectedLevel[] = [];
        const asks: ExpectedLevel[] = [];
        for (const u of arr(ev.updates, 'updates')) {
          const up = obj(u, 'update');
          const level: ExpectedLevel = [dec(up.price_level, 'price_level'), dec(up.new_quantity, 'new_quantity')];
          (up.side === 'bid' ? bids : asks).push(level);
        }
        const symbol = expectedSymbol(c.venue, c.market, str(ev.product_id, 'product_id'));
        return { type: 'book', symbol, ts, snapshot: ev.type === 'snapshot', bids, asks, seq };
      });
    }
    case 'ticker': {
      const ts = rfc3339Us(str(raw.timestamp, 'timestamp'));
      return events().flatMap((ev) =>
        arr(ev.tickers, 'tickers').map((t) => {
          const k = obj(t, 'ticker');
          const symbol = expectedSymbol(c.venue, c.market, str(k.product_id, 'product_id'));
          return bbo(symbol, ts, k.best_bid, k.best_bid_quantity, k.best_ask, k.best_ask_quantity);
        }),
      );
    }
    case 'market_trades':
      return events().flatMap((ev) =>
        arr(ev.trades, 'trades').map((t) => {
          const k = obj(t, 'trade');
          // `side` names the maker (docs/events.md); the expected side is the taker's.
          const side = k.side === 'BUY' ? 'sell' : 'buy';
          return trade(ctx, {
            symbol: k.product_id,
            price: k.price,
            quantity: k.size,
            side,
            trade_id: k.trade_id,
            exchange_ts: { epoch_us: rfc3339Us(str(k.time, 'time')) },
          });
        }),
      );
  }
  throw new Skip(`verdict-only record for channel ${String(raw.channel)}`);
}

function marketOf(venue: VenueId, expected: unknown): Market {
  if (venue === 'binance-futures') return 'perp';
  if (venue !== 'bybit') return 'spot';
  // Bybit: the fixture's category stands in for the connection's endpoint.
  const category = isObj(expected) ? expected.category : undefined;
  return category === 'spot' ? 'spot' : 'perp';
}

// ---------------------------------------------------------------------------
// Loading

export interface FileSummary {
  file: string;
  venue: VenueId;
  records: number;
  mapped: number;
  skipped: number;
  /** reason → count */
  skipReasons: Map<string, number>;
}

/** Every record of every tickwire venue folder, in folder/file/line order. */
export function loadFixtureCases(root: string = FIXTURE_ROOT): FixtureCase[] {
  const cases: FixtureCase[] = [];
  for (const folder of Object.keys(FOLDER_VENUES).sort()) {
    const venue = FOLDER_VENUES[folder];
    if (venue === undefined) continue;
    const pendingTwins: Array<{ c: FixtureCase; expected: unknown }> = [];
    const byRaw = new Map<string, ExpectedEvent[]>();
    for (const name of readdirSync(join(root, folder))
      .filter((n) => n.endsWith('.jsonl'))
      .sort()) {
      const file = `${folder}/${name}`;
      const lines = readFileSync(join(root, file), 'utf8').split('\n');
      lines.forEach((text, i) => {
        if (text.trim() === '') return;
        const record = obj(JSON.parse(text), `${file}:${i + 1}`);
        const raw = str(record.raw, 'raw');
        const market = marketOf(venue, record.expected);
        const c: FixtureCase = {
          file,
          line: i + 1,
          venue,
          market,
          raw,
          recvTs: recvTsOf(record.local_recv_ts),
          expected: null,
        };
        try {
          c.expected = mapExpected({ venue, market, file, raw }, record.expected);
          if (!byRaw.has(raw)) byRaw.set(raw, c.expected);
        } catch (err) {
          if (err instanceof ExpectReject) c.expected = [{ type: 'reject', reason: err.reason }];
          else if (err instanceof NeedsTwin) pendingTwins.push({ c, expected: record.expected });
          else if (err instanceof Skip) c.skipReason = err.reason;
          else throw new Error(`${file}:${i + 1}: ${err instanceof Error ? err.message : String(err)}`);
        }
        cases.push(c);
      });
    }
    for (const { c, expected } of pendingTwins) {
      try {
        c.expected = byRaw.get(c.raw) ?? withoutTwin(c, obj(expected, 'expected'));
      } catch (err) {
        if (err instanceof Skip) c.skipReason = err.reason;
        else throw new Error(`${c.file}:${c.line}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
  return cases;
}

export function summarizeByFile(cases: readonly FixtureCase[]): FileSummary[] {
  const byFile = new Map<string, FileSummary>();
  for (const c of cases) {
    let s = byFile.get(c.file);
    if (s === undefined) {
      s = { file: c.file, venue: c.venue, records: 0, mapped: 0, skipped: 0, skipReasons: new Map() };
      byFile.set(c.file, s);
    }
    s.records++;
    if (c.expected === null) {
      s.skipped++;
      const reason = c.skipReason ?? 'unknown';
      s.skipReasons.set(reason, (s.skipReasons.get(reason) ?? 0) + 1);
    } else s.mapped++;
  }
  return [...byFile.values()];
}

// ---------------------------------------------------------------------------
// Checking

const encoder = new TextEncoder();

/** Runs one mapped case through an engine and asserts the events match. */
export function checkCase(normalize: NormalizeFn, c: FixtureCase): CanonicalEvent[] {
  const actual = normalize(c.venue, encoder.encode(c.raw), c.recvTs, c.market);
  assertEventsMatch(actual, c);
  return actual;
}

function describe(events: readonly CanonicalEvent[]): string {
  return events.map((e) => (e.type === 'reject' ? `reject(${e.reason}: ${e.sample})` : e.type)).join(', ');
}

/** The canonical number is the double nearest the decimal, i.e. Number(text). */
function assertDecimal(actual: number | undefined, expected: string, what: string): void {
  assert.equal(actual, Number(expected), `${what}: expected ${expected}, got ${actual}`);
}

function assertLevels(
  actual: readonly (readonly [number, number])[],
  expected: readonly ExpectedLevel[],
  what: string,
): void {
  assert.equal(actual.length, expected.length, `${what}: level count`);
  expected.forEach(([px, qty], i) => {
    const level = actual[i];
    assert.ok(level !== undefined, `${what}[${i}] missing`);
    assertDecimal(level[0], px, `${what}[${i}] price`);
    assertDecimal(level[1], qty, `${what}[${i}] size`);
  });
}

function assertOptional(actual: number | undefined, expected: number | null | undefined, what: string): void {
  if (expected === undefined) return;
  if (expected === null) assert.equal(actual, undefined, `${what} must be absent`);
  else assert.equal(actual, expected, what);
}

/** Field-by-field comparison of an engine's events with a fixture case's canonical meaning. */
export function assertEventsMatch(actual: readonly CanonicalEvent[], c: FixtureCase): void {
  const where = `${c.file}:${c.line}`;
  const expected = c.expected;
  assert.ok(expected !== null, `${where}: case has no canonical meaning (${c.skipReason ?? ''})`);
  assert.equal(actual.length, expected.length, `${where}: event count; got [${describe(actual)}]`);
  expected.forEach((exp, i) => {
    const act = actual[i];
    const at = `${where} event ${i}`;
    assert.ok(act !== undefined);
    assert.equal(act.type, exp.type, `${at}: type; got [${describe(actual)}]`);
    assert.equal(act.venue, c.venue, `${at}: venue`);
    if (exp.type === 'reject') {
      assert.ok(act.type === 'reject');
      assert.equal(act.reason, exp.reason, `${at}: reject reason`);
      return;
    }
    if (exp.type === 'status') {
      assert.ok(act.type === 'status');
      assert.equal(act.kind, exp.kind, `${at}: status kind`);
      if (exp.detail !== undefined) assert.equal(act.detail, exp.detail, `${at}: status detail`);
      return;
    }
    assert.ok(act.type !== 'status' && act.type !== 'reject');
    assert.equal(act.symbol, exp.symbol, `${at}: symbol`);
    assert.equal(act.ts, exp.ts, `${at}: ts`);
    assert.equal(act.recvTs, c.recvTs, `${at}: recvTs`);
    switch (exp.type) {
      case 'trade':
        assert.ok(act.type === 'trade');
        assertDecimal(act.price, exp.price, `${at}: price`);
        assertDecimal(act.qty, exp.qty, `${at}: qty`);
        assert.equal(act.side, exp.side, `${at}: side`);
        assert.equal(act.id, exp.id, `${at}: id`);
        break;
      case 'bbo':
        assert.ok(act.type === 'bbo');
        assertDecimal(act.bidPx, exp.bidPx, `${at}: bidPx`);
        assertDecimal(act.bidQty, exp.bidQty, `${at}: bidQty`);
        assertDecimal(act.askPx, exp.askPx, `${at}: askPx`);
        assertDecimal(act.askQty, exp.askQty, `${at}: askQty`);
        break;
      case 'book':
        assert.ok(act.type === 'book');
        assert.equal(act.snapshot, exp.snapshot, `${at}: snapshot`);
        assertLevels(act.bids, exp.bids, `${at}: bids`);
        assertLevels(act.asks, exp.asks, `${at}: asks`);
        assertOptional(act.seq, exp.seq, `${at}: seq`);
        assertOptional(act.prevSeq, exp.prevSeq, `${at}: prevSeq`);
        assertOptional(act.checksum, exp.checksum, `${at}: checksum`);
        break;
      case 'derivative':
        assert.ok(act.type === 'derivative');
        for (const key of ['markPx', 'indexPx', 'fundingRate'] as const) {
          const want = exp[key];
          if (want === null) assert.equal(act[key], undefined, `${at}: ${key} must be absent`);
          else assertDecimal(act[key], want, `${at}: ${key}`);
        }
        assertOptional(act.nextFundingTs, exp.nextFundingTs, `${at}: nextFundingTs`);
        break;
    }
  });
}
