// Bybit v5 public (`bybit`): spot and linear endpoints, `op` subscribe with at
// most 10 args per request (spot), `{"op":"ping"}` every 20 s, orderbook
// snapshot + delta; book resync = unsubscribe + subscribe (fresh snapshot).
import type { Market } from '../events';
import { ascii, indexWithin, startsWith, valueAfter } from './bytes';
import {
  Connector,
  SNAPSHOT,
  asArray,
  asRecord,
  asString,
  type ControlKind,
  type OverlapKey,
  type SubscribeRequest,
  type Topic,
  type VenueDefaults,
} from './connection';
import { canonicalOf } from './symbols';
import type { FeedChannel, Instrument } from './types';

const P_SUCCESS = ascii('{"success":true');
const P_FAILURE = ascii('{"success":false');
const P_TOPIC = ascii('{"topic":"');
const N_OP_SUBSCRIBE = ascii('"op":"subscribe"');
const N_TOPIC = ascii('"topic":');
const N_SNAPSHOT = ascii('"type":"snapshot"');
const N_I = ascii('"i":');
const N_U = ascii('"u":');

export class BybitConnector extends Connector {
  readonly venue = 'bybit' as const;
  private requestId = 0;

  protected defaults(): VenueDefaults {
    return {
      wsUrl: 'wss://stream.bybit.com/v5/public/spot',
      wsUrlPerp: 'wss://stream.bybit.com/v5/public/linear',
      restUrl: 'https://api.bybit.com',
      channels: ['trades', 'book', 'bbo', 'mark'],
      limits: { streamsPerConnection: 200, argsPerRequest: 10, requestsPerSecond: 5 },
      keepAlive: { staleMs: 45_000, probeIdleMs: 0, pingIntervalMs: 20_000 },
      maxConnectionAgeMs: 0,
    };
  }

  protected topicsFor(inst: Instrument, channel: FeedChannel): Topic[] {
    const t = (name: string): Topic[] => [{ name, channel, instrument: inst, market: inst.market }];
    switch (channel) {
      case 'trades':
        return t(`publicTrade.${inst.venueSymbol}`);
      case 'book':
        return t(`orderbook.${this.bookDepth ?? 50}.${inst.venueSymbol}`);
      case 'bbo':
        return t(`tickers.${inst.venueSymbol}`);
      case 'mark':
        return inst.market === 'perp' ? t(`tickers.${inst.venueSymbol}`) : [];
    }
  }

  protected requests(topics: Topic[], op: 'subscribe' | 'unsubscribe'): SubscribeRequest[] {
    return this.chunk(
      topics.map((t) => t.name),
      this.limits.argsPerRequest,
    ).map((args) => ({ text: JSON.stringify({ req_id: String(++this.requestId), op, args }), acks: 1 }));
  }

  protected override pingMessage(): string {
    return JSON.stringify({ req_id: String(++this.requestId), op: 'ping' });
  }

  protected inspect(frame: Buffer): ControlKind {
    if (frame[2] !== 0x73) return null; // {"success":…
    if (startsWith(frame, P_SUCCESS)) return frame.indexOf(N_OP_SUBSCRIBE) >= 0 ? 'ack' : null;
    return startsWith(frame, P_FAILURE) ? 'error' : null;
  }

  protected overlapKey(frame: Buffer): OverlapKey {
    if (!startsWith(frame, P_TOPIC)) return null;
    const topic = valueAfter(frame, N_TOPIC);
    if (topic === undefined) return null;
    if (topic.startsWith('publicTrade.')) return `${topic}|${valueAfter(frame, N_I)}`;
    if (topic.startsWith('orderbook.')) {
      if (indexWithin(frame, N_SNAPSHOT, 96) >= 0) return SNAPSHOT;
      return `${topic}|${valueAfter(frame, N_U)}`;
    }
    return null;
  }

  protected async listInstruments(): Promise<Instrument[]> {
    const markets = new Set<Market>(this.wantedSymbols().map((s) => (s.endsWith('-PERP') ? 'perp' : 'spot')));
    const out: Instrument[] = [];
    for (const market of markets) {
      const category = market === 'perp' ? 'linear' : 'spot';
      const body = asRecord(
        JSON.parse(await this.rest.get(`${this.restBase}/v5/market/instruments-info?category=${category}`)),
      );
      for (const item of asArray(asRecord(body.result).list)) {
        const r = asRecord(item);
        const symbol = asString(r.symbol);
        const base = asString(r.baseCoin);
        const quote = asString(r.quoteCoin);
        if (!symbol || !base || !quote) continue;
        if (market === 'perp' && r.contractType !== undefined && r.contractType !== 'LinearPerpetual') continue;
        out.push({ canonical: canonicalOf(base, quote, market), venueSymbol: symbol, base, quote, market });
      }
    }
    return out;
  }
}
