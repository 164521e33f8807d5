// What the server gives a venue encoder, and what an encoder gives back.
import type { Market, VenueId } from '../../events';
import type { InstrumentSpec } from '../instruments';
import type { SymbolModel, StepResult } from '../model';
import { formatUnits } from '../format';

/** What a frame is, for the fault injector (only data frames are dropped, reordered, …). */
export interface FrameMeta {
  /** Market data (true) or a control reply/ack (false). */
  data: boolean;
  /** The frame carries a book checksum (Kraken / OKX) that a bad-checksum fault may corrupt. */
  checksum?: boolean;
}

export interface Conn {
  readonly id: number;
  readonly venue: VenueId;
  readonly market: Market;
  /** Sends a text frame through the fault injector. */
  send(text: string, meta: FrameMeta): void;
  /** Closes after a planned-shutdown notice. */
  close(code: number, reason: string): void;
  /** Per-connection id text (Bybit conn_id, OKX connId), derived from the seed. */
  readonly tag: string;
}

export interface SimInstrument {
  readonly venue: VenueId;
  readonly market: Market;
  readonly spec: InstrumentSpec;
  readonly venueSymbol: string;
  readonly model: SymbolModel;
}

export interface RestReply {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

export interface VenueContext {
  /** Current time in µs: the step time (virtual clock) or wall time. */
  nowUs(): number;
  /** OKX book checksum flavour. */
  okxChecksum: 'legacy' | 'zero';
}

export interface VenueAdapter {
  readonly venue: VenueId;
  readonly instruments: readonly SimInstrument[];
  /** Market served by a WebSocket path (below the venue prefix), or null for 404. */
  wsMarket(path: string): Market | null;
  onOpen(conn: Conn, url: URL): void;
  onMessage(conn: Conn, text: string): void;
  onClose(conn: Conn): void;
  onStep(inst: SimInstrument, step: StepResult): void;
  /** Once a second: heartbeats. */
  onSecond(): void;
  /** REST GET below the venue prefix, or null for 404. */
  rest(path: string, query: URLSearchParams): RestReply | null;
  /** The venue's planned-disconnect notice for this connection, if it has one. */
  shutdownNotice(conn: Conn): string | null;
  /** The venue's REST error bodies. */
  restError(status: 429 | 500): RestReply;
}

/** Stream key → subscribed connections, in subscription order (deterministic broadcast). */
export class Subscriptions {
  private readonly map = new Map<string, Set<Conn>>();

  add(key: string, conn: Conn): boolean {
    let set = this.map.get(key);
    if (!set) this.map.set(key, (set = new Set()));
    if (set.has(conn)) return false;
    set.add(conn);
    return true;
  }

  remove(key: string, conn: Conn): boolean {
    const set = this.map.get(key);
    if (!set?.delete(conn)) return false;
    if (set.size === 0) this.map.delete(key);
    return true;
  }

  removeConn(conn: Conn): void {
    for (const [key, set] of this.map) {
      set.delete(conn);
      if (set.size === 0) this.map.delete(key);
    }
  }

  get(key: string): ReadonlySet<Conn> | undefined {
    return this.map.get(key);
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  keysOf(conn: Conn): string[] {
    const out: string[] = [];
    for (const [key, set] of this.map) if (set.has(conn)) out.push(key);
    return out;
  }
}

/** Price/size text for one instrument in a venue's style. */
export class Fmt {
  constructor(
    readonly spec: InstrumentSpec,
    private readonly priceDecimals: number | 'trim',
    private readonly sizeDecimals: number | 'trim',
  ) {}

  private readonly pxCache = new Map<number, string>();

  px(ticks: number): string {
    let s = this.pxCache.get(ticks);
    if (s === undefined) {
      s = formatUnits(ticks, this.spec.priceExp, this.priceDecimals);
      if (this.pxCache.size >= 8192) this.pxCache.clear();
      this.pxCache.set(ticks, s);
    }
    return s;
  }

  sz(lots: number): string {
    return formatUnits(lots, this.spec.sizeExp, this.sizeDecimals);
  }

  /** A price in ticks that may be fractional (averages): rounded to the tick grid. */
  pxAny(value: number): string {
    return this.px(Math.round(value));
  }

  /** quote × base amount (turnover) as text with 4 decimals. */
  notional(tickLots: number): string {
    const v = tickLots * 10 ** -(this.spec.priceExp + this.spec.sizeExp);
    return v.toFixed(4);
  }
}

export function sendAll(subs: ReadonlySet<Conn> | undefined, text: string, meta: FrameMeta): void {
  if (!subs) return;
  for (const c of subs) c.send(text, meta);
}

export const DATA: FrameMeta = { data: true };
export const DATA_CHECKSUM: FrameMeta = { data: true, checksum: true };
export const CONTROL: FrameMeta = { data: false };

export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function json(status: number, body: unknown, headers?: Record<string, string>): RestReply {
  return headers ? { status, body: JSON.stringify(body), headers } : { status, body: JSON.stringify(body) };
}

/** A UUID-shaped id derived from a number (deterministic; Coinbase order ids, Bybit linear trade ids). */
export function uuidFrom(n: number, salt: number): string {
  let h = (salt ^ 0x9e3779b9) >>> 0;
  const parts: string[] = [];
  for (let i = 0; i < 4; i++) {
    h = Math.imul(h ^ (n + i * 0x632be5ab), 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
    parts.push(h.toString(16).padStart(8, '0'));
  }
  const x = parts.join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-5${x.slice(13, 16)}-a${x.slice(17, 20)}-${x.slice(20, 32)}`;
}
