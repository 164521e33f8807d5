// OKX v5 public (`okx`): one endpoint for spot and swaps, `op` subscribe with
// one ack per arg, text `ping` when idle (the server drops connections after
// 30 s of silence), notice 64008 as the planned-disconnect notice; trades
// carry sequential tradeIds (backfilled from /api/v5/market/trades); book
// resync = unsubscribe + subscribe (fresh snapshot).
import type { Market } from '../events';
import { allIntsAfter, ascii, indexWithin, startsWith, valueAfter } from './bytes';
import {
  Connector,
  SNAPSHOT,
  asArray,
  asRecord,
  asString,
  type Backfill,
  type ControlKind,
  type OverlapKey,
  type SubscribeRequest,
  type Topic,
  type TradeIds,
  type VenueDefaults,
} from './connection';
import { canonicalOf } from './symbols';
import type { FeedChannel, Instrument } from './types';

const P_ARG = ascii('{"arg":{"channel":"');
const P_TRADES = ascii('{"arg":{"channel":"trades"');
const N_EVENT_SUBSCRIBE = ascii('"event":"subscribe"');
const N_EVENT_ERROR = ascii('"event":"error"');
const N_EVENT_NOTICE = ascii('"event":"notice"');
const N_64008 = ascii('"64008"');
const N_CHANNEL = ascii('"channel":');
const N_INST = ascii('"instId":');
const N_SNAPSHOT = ascii('"action":"snapshot"');
const N_TRADE_ID = ascii('"tradeId":');
const N_SEQ = ascii('"seqId":');
const N_TS = ascii('"ts":');

export class OkxConnector extends Connector {
  readonly venue = 'okx' as const;
  private requestId = 0;

  protected defaults(): VenueDefaults {
    return {
      wsUrl: 'wss://ws.okx.com:8443/ws/v5/public',
      restUrl: 'https://www.okx.com',
      channels: ['trades', 'book', 'bbo', 'mark'],
      limits: { streamsPerConnection: 240, argsPerRequest: 50, requestsPerSecond: 3 },
      // OKX closes a connection after 30 s without traffic: ping after 20 s of silence.
      keepAlive: { staleMs: 35_000, probeIdleMs: 20_000, pingIntervalMs: 0 },
      maxConnectionAgeMs: 0,
    };
  }

  protected topicsFor(inst: Instrument, channel: FeedChannel): Topic[] {
    const t = (ch: string): Topic => ({
      name: `${ch}:${inst.venueSymbol}`,
      channel,
      instrument: inst,
      market: inst.market,
    });
    switch (channel) {
      case 'trades':
        return [t('trades')];
      case 'book':
        return [t('books')];
      case 'bbo':
        return [t('bbo-tbt')];
      case 'mark':
        return inst.market === 'perp' ? [t('mark-price'), t('funding-rate')] : [];
    }
  }

  protected requests(topics: Topic[], op: 'subscribe' | 'unsubscribe'): SubscribeRequest[] {
    const args = topics.map((t) => {
      const i = t.name.indexOf(':');
      return { channel: t.name.slice(0, i), instId: t.name.slice(i + 1) };
    });
    return this.chunk(args, this.limits.argsPerRequest).map((part) => ({
      text: JSON.stringify({ id: String(++this.requestId), op, args: part }),
      acks: part.length,
    }));
  }

  protected override probeMessage(): string {
    return 'ping';
  }

  protected inspect(frame: Buffer): ControlKind {
    const c = frame[2];
    if (c !== 0x69 && c !== 0x65) return null; // {"id":… / {"event":…
    if (indexWithin(frame, N_EVENT_SUBSCRIBE, 64) >= 0) return 'ack';
    if (indexWithin(frame, N_EVENT_ERROR, 64) >= 0) return 'error';
    if (indexWithin(frame, N_EVENT_NOTICE, 64) >= 0 && frame.indexOf(N_64008) >= 0) return 'shutdown';
    return null;
  }

  protected overlapKey(frame: Buffer): OverlapKey {
    if (!startsWith(frame, P_ARG)) return null;
    const channel = valueAfter(frame, N_CHANNEL);
    const inst = valueAfter(frame, N_INST);
    if (channel === undefined) return null;
    if (indexWithin(frame, N_SNAPSHOT, 128) >= 0) return SNAPSHOT;
    // Trades: the highest id of the frame, so OKX's replay of the last trade after subscribing matches the
    // frame that first carried it.
    if (channel === 'trades') return `trades:${inst}|${Math.max(...allIntsAfter(frame, N_TRADE_ID))}`;
    const field = channel.startsWith('books') || channel === 'bbo-tbt' ? N_SEQ : N_TS;
    return `${channel}:${inst}|${valueAfter(frame, field)}`;
  }

  protected override tradeIds(frame: Buffer): TradeIds | null {
    if (!startsWith(frame, P_TRADES)) return null;
    const symbol = valueAfter(frame, N_INST);
    const ids = allIntsAfter(frame, N_TRADE_ID);
    if (symbol === undefined || ids.length === 0) return null;
    return { symbol, first: Math.min(...ids), last: Math.max(...ids) };
  }

  protected override async fetchBackfill(inst: Instrument, afterId: number, beforeId: number): Promise<Backfill> {
    const url = `${this.restBase}/api/v5/market/trades?instId=${encodeURIComponent(inst.venueSymbol)}&limit=500`;
    const body = asRecord(JSON.parse(await this.rest.get(url)));
    let oldest = Infinity;
    const trades: Array<{ id: number; text: string }> = [];
    for (const item of asArray(body.data)) {
      const r = asRecord(item);
      const id = Number(r.tradeId);
      if (!Number.isSafeInteger(id)) continue;
      oldest = Math.min(oldest, id);
      if (id <= afterId || id >= beforeId) continue;
      const trade = {
        instId: inst.venueSymbol,
        tradeId: String(id),
        px: asString(r.px) ?? '0',
        sz: asString(r.sz) ?? '0',
        side: asString(r.side) ?? '',
        ts: asString(r.ts) ?? '0',
      };
      trades.push({
        id,
        text: JSON.stringify({ arg: { channel: 'trades', instId: inst.venueSymbol }, data: [trade] }),
      });
    }
    trades.sort((a, b) => a.id - b.id);
    return { frames: trades.map((t) => t.text), trades: trades.length, complete: oldest <= afterId + 1 };
  }

  protected async listInstruments(): Promise<Instrument[]> {
    const markets = new Set<Market>(this.wantedSymbols().map((s) => (s.endsWith('-PERP') ? 'perp' : 'spot')));
    const out: Instrument[] = [];
    for (const market of markets) {
      const instType = market === 'perp' ? 'SWAP' : 'SPOT';
      const body = asRecord(
        JSON.parse(await this.rest.get(`${this.restBase}/api/v5/public/instruments?instType=${instType}`)),
      );
      for (const item of asArray(body.data)) {
        const r = asRecord(item);
        const instId = asString(r.instId);
        if (!instId) continue;
        let base = asString(r.baseCcy) ?? '';
        let quote = asString(r.quoteCcy) ?? '';
        if (market === 'perp') {
          const family = asString(r.instFamily) || asString(r.uly) || '';
          const parts = family.split('-');
          if (parts.length !== 2 || !instId.endsWith('-SWAP')) continue;
          [base, quote] = parts as [string, string];
        }
        if (!base || !quote) continue;
        out.push({ canonical: canonicalOf(base, quote, market), venueSymbol: instId, base, quote, market });
      }
    }
    return out;
  }
}
