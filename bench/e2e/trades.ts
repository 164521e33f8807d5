// Trade loss, counted from both ends: the simulator's last trade id per
// instrument (its REST trade endpoints serve the same model trades as the
// streams, ids +1 per trade) before the run and after it, against the trades
// that landed in `<prefix>ticks`, read back with kcat (an independent client).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { getJson } from './proc';

export type TradeVenue = 'binance' | 'okx' | 'bybit';
export const TRADE_VENUES: readonly TradeVenue[] = ['binance', 'okx', 'bybit'];

const compact = (symbol: string): string => symbol.replace('-', '');

/** The latest trade id of a spot instrument as the simulator's REST API reports it; null before any trade. */
export async function lastTradeId(base: string, venue: TradeVenue, symbol: string): Promise<bigint | null> {
  switch (venue) {
    case 'binance': {
      const r = await getJson<Array<{ id: number }>>(`${base}/binance/api/v3/trades?symbol=${compact(symbol)}&limit=1`);
      return r[0] === undefined ? null : BigInt(r[0].id);
    }
    case 'okx': {
      const r = await getJson<{ data: Array<{ tradeId: string }> }>(
        `${base}/okx/api/v5/market/trades?instId=${symbol}&limit=1`,
      );
      return r.data[0] === undefined ? null : BigInt(r.data[0].tradeId);
    }
    case 'bybit': {
      const r = await getJson<{ result: { list: Array<{ execId: string }> } }>(
        `${base}/bybit/v5/market/recent-trade?category=spot&symbol=${compact(symbol)}&limit=1`,
      );
      return r.result.list[0] === undefined ? null : BigInt(r.result.list[0].execId);
    }
  }
}

export async function lastTradeIds(
  base: string,
  venues: readonly TradeVenue[],
  symbols: readonly string[],
): Promise<Map<string, bigint | null>> {
  const out = new Map<string, bigint | null>();
  for (const v of venues) for (const s of symbols) out.set(`${v}:${s}`, await lastTradeId(base, v, s));
  return out;
}

export interface TradeCount {
  /** Trades the simulator sent on subscribed instruments during the run (last id after − last id before). */
  sent: number;
  /** Distinct ones of them found in Kafka. */
  delivered: number;
  /** sent − delivered. */
  lost: number;
  /** Copies beyond the first (at-least-once delivery may repeat). */
  duplicates: number;
  /** Per `venue:symbol`: sent, delivered. */
  byKey: Record<string, { sent: number; delivered: number }>;
}

/**
 * Reads every trade of `topic` with kcat and compares with the simulator's
 * ids: `before` (last id before the run) exclusive … `after` inclusive.
 */
export async function countTrades(
  brokers: string,
  topic: string,
  before: Map<string, bigint | null>,
  after: Map<string, bigint | null>,
  timeoutMs = 300_000,
): Promise<TradeCount> {
  const seen = new Map<string, Set<string>>();
  let duplicates = 0;
  const kcat = spawn('kcat', ['-C', '-b', brokers, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%k\t%s\n'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  kcat.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4000)));
  const timer = setTimeout(() => kcat.kill('SIGKILL'), timeoutMs);
  const idRe = /"id":"(\d+)"/;
  try {
    for await (const line of createInterface({ input: kcat.stdout, crlfDelay: Infinity })) {
      if (!line.includes('"type":"trade"')) continue;
      const tab = line.indexOf('\t');
      const key = line.slice(0, tab);
      const base = before.get(key);
      const last = after.get(key);
      const m = idRe.exec(line);
      if (last === undefined || last === null || m === null) continue;
      const id = BigInt(m[1]!);
      if (id > last || (base !== null && base !== undefined && id <= base)) continue;
      let s = seen.get(key);
      if (s === undefined) seen.set(key, (s = new Set()));
      if (s.has(m[1]!)) duplicates++;
      else s.add(m[1]!);
    }
  } finally {
    clearTimeout(timer);
  }
  const code = await new Promise<number | null>((r) =>
    kcat.exitCode !== null ? r(kcat.exitCode) : kcat.once('exit', (c) => r(c)),
  );
  if (code !== 0) throw new Error(`kcat exited with ${String(code)}: ${err.trim()}`);
  const byKey: TradeCount['byKey'] = {};
  let sent = 0;
  let delivered = 0;
  for (const [key, last] of after) {
    const base = before.get(key) ?? null;
    const got = seen.get(key)?.size ?? 0;
    // No trade before the run (the model starts at a random id): count from the lowest id seen,
    // which can only under-count a loss at the very head.
    let n = 0;
    if (last !== null) {
      if (base !== null) n = Number(last - base);
      else {
        let min: bigint | null = null;
        for (const id of seen.get(key) ?? []) if (min === null || BigInt(id) < min) min = BigInt(id);
        n = min === null ? 0 : Number(last - min) + 1;
      }
    }
    byKey[key] = { sent: n, delivered: got };
    sent += n;
    delivered += got;
  }
  return { sent, delivered, lost: sent - delivered, duplicates, byKey };
}
