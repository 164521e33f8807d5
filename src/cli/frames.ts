// Input frames for the commands that read JSON Lines (normalize, signals,
// book): either raw frames of one venue (`--venue`), or capture records
// `{"venue","raw","recvTs","market"?}` as `record` writes them.
import { isVenueId, MARKETS, type Market, type VenueId } from '../events';

export interface InputFrame {
  venue: VenueId;
  raw: Uint8Array;
  /** Receive time, µs since the epoch. */
  recvTs: number;
  market: Market;
}

export class InputLineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputLineError';
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function parseVenueOption(value: string | undefined): VenueId | undefined {
  if (value === undefined) return undefined;
  if (!isVenueId(value)) throw new InputLineError(`unknown venue '${value}'`);
  return value;
}

export function parseMarketOption(value: string | undefined): Market | undefined {
  if (value === undefined) return undefined;
  if (!(MARKETS as readonly string[]).includes(value)) {
    throw new InputLineError(`unknown market '${value}' (known: ${MARKETS.join(', ')})`);
  }
  return value as Market;
}

/** Wall clock in µs, for frames that arrive without a receive time. */
export function nowMicros(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

export function frameFromLine(line: Uint8Array, venue: VenueId | undefined, market: Market | undefined): InputFrame {
  if (venue !== undefined) return { venue, raw: line, recvTs: nowMicros(), market: market ?? 'spot' };
  let record: unknown;
  try {
    record = JSON.parse(decoder.decode(line));
  } catch {
    throw new InputLineError('not a JSON capture record (give --venue V for raw frames)');
  }
  if (typeof record !== 'object' || record === null) throw new InputLineError('capture record must be an object');
  const r = record as Record<string, unknown>;
  if (typeof r.venue !== 'string' || !isVenueId(r.venue)) {
    throw new InputLineError(`capture record has an unknown venue ${JSON.stringify(r.venue)}`);
  }
  if (typeof r.raw !== 'string') throw new InputLineError('capture record needs "raw": the frame text');
  const recvTs = r.recvTs === undefined ? nowMicros() : r.recvTs;
  if (typeof recvTs !== 'number' || !Number.isSafeInteger(recvTs) || recvTs < 0) {
    throw new InputLineError('capture record "recvTs" must be a non-negative integer (µs since the epoch)');
  }
  const recordMarket = r.market === undefined ? (market ?? 'spot') : parseMarketOption(String(r.market));
  return { venue: r.venue, raw: encoder.encode(r.raw), recvTs, market: recordMarket ?? 'spot' };
}
