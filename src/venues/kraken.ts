// Kraken Spot WebSocket v2 (`kraken`): method subscribe per channel with the
// symbol list (one ack per symbol), heartbeats while subscribed, app-level
// `{"method":"ping"}` when idle, `status` maintenance as the planned-
// disconnect notice; book resync = unsubscribe + subscribe (fresh snapshot).
import { ascii, indexWithin, startsWith, valueAfter } from './bytes';
import {
  Connector,
  SNAPSHOT,
  asRecord,
  asString,
  type ControlKind,
  type OverlapKey,
  type SubscribeRequest,
  type Topic,
  type VenueDefaults,
} from './connection';
import { canonicalOf, krakenAsset } from './symbols';
import type { FeedChannel, Instrument } from './types';

const P_SUBSCRIBE = ascii('{"method":"subscribe"');
const P_UNSUBSCRIBE = ascii('{"method":"unsubscribe"');
const P_STATUS = ascii('{"channel":"status"');
const P_TRADE = ascii('{"channel":"trade"');
const P_ERROR = ascii('{"error"');
const N_SUCCESS = ascii('"success":true');
const N_FAILURE = ascii('"success":false');
const N_MAINTENANCE = ascii('"system":"maintenance"');
const N_SNAPSHOT = ascii('"type":"snapshot"');
const N_SYMBOL = ascii('"symbol":');
const N_TRADE_ID = ascii('"trade_id":');

const CHANNEL_NAMES: Record<Exclude<FeedChannel, 'mark'>, string> = { trades: 'trade', book: 'book', bbo: 'ticker' };

export class KrakenConnector extends Connector {
  readonly venue = 'kraken' as const;
  private requestId = 0;

  protected defaults(): VenueDefaults {
    return {
      wsUrl: 'wss://ws.kraken.com/v2',
      restUrl: 'https://api.kraken.com',
      channels: ['trades', 'book', 'bbo'],
      limits: { streamsPerConnection: 200, argsPerRequest: 50, requestsPerSecond: 5 },
      // Heartbeats come about once a second while subscribed; ping when idle anyway.
      keepAlive: { staleMs: 10_000, probeIdleMs: 5_000, pingIntervalMs: 0 },
      maxConnectionAgeMs: 0,
    };
  }

  protected topicsFor(inst: Instrument, channel: FeedChannel): Topic[] {
    if (channel === 'mark') return [];
    return [{ name: `${CHANNEL_NAMES[channel]}:${inst.venueSymbol}`, channel, instrument: inst, market: inst.market }];
  }

  protected requests(topics: Topic[], op: 'subscribe' | 'unsubscribe'): SubscribeRequest[] {
    const byChannel = new Map<string, string[]>();
    for (const t of topics) {
      const i = t.name.indexOf(':');
      const ch = t.name.slice(0, i);
      const list = byChannel.get(ch) ?? [];
      list.push(t.name.slice(i + 1));
      byChannel.set(ch, list);
    }
    const out: SubscribeRequest[] = [];
    for (const [channel, symbols] of byChannel) {
      for (const symbol of this.chunk(symbols, this.limits.argsPerRequest)) {
        const params: Record<string, unknown> = { channel, symbol };
        if (channel === 'book') params.depth = this.bookDepth ?? 10;
        if (op === 'subscribe') params.snapshot = channel !== 'trade';
        out.push({ text: JSON.stringify({ method: op, params, req_id: ++this.requestId }), acks: symbol.length });
      }
    }
    return out;
  }

  protected override probeMessage(): string {
    return JSON.stringify({ method: 'ping', req_id: ++this.requestId });
  }

  protected inspect(frame: Buffer): ControlKind {
    const c = frame[2];
    if (c === 0x6d) {
      // {"method":…
      if (startsWith(frame, P_SUBSCRIBE)) return frame.indexOf(N_SUCCESS) >= 0 ? 'ack' : 'error';
      if (startsWith(frame, P_UNSUBSCRIBE) && frame.indexOf(N_FAILURE) >= 0) return 'error';
      return null;
    }
    if (c === 0x63) {
      // {"channel":…: only status frames are looked into.
      return frame[12] === 0x73 &&
        frame[13] === 0x74 &&
        startsWith(frame, P_STATUS) &&
        frame.indexOf(N_MAINTENANCE) >= 0
        ? 'shutdown'
        : null;
    }
    if (c === 0x65 && startsWith(frame, P_ERROR)) return 'error';
    return null;
  }

  protected overlapKey(frame: Buffer): OverlapKey {
    if (indexWithin(frame, N_SNAPSHOT, 64) >= 0) return SNAPSHOT;
    if (startsWith(frame, P_TRADE)) return `trade:${valueAfter(frame, N_SYMBOL)}|${valueAfter(frame, N_TRADE_ID)}`;
    return null;
  }

  protected async listInstruments(): Promise<Instrument[]> {
    const body = asRecord(JSON.parse(await this.rest.get(`${this.restBase}/0/public/AssetPairs`)));
    const out: Instrument[] = [];
    for (const value of Object.values(asRecord(body.result))) {
      const r = asRecord(value);
      const wsname = asString(r.wsname);
      if (!wsname || !wsname.includes('/')) continue;
      const [b, q] = wsname.split('/') as [string, string];
      const base = krakenAsset(b);
      const quote = krakenAsset(q);
      // WebSocket v2 spells bitcoin BTC.
      out.push({
        canonical: canonicalOf(base, quote, 'spot'),
        venueSymbol: `${base}/${quote}`,
        base,
        quote,
        market: 'spot',
      });
    }
    return out;
  }
}
