// Test helpers: a recording WebSocket client with a per-venue barrier (a
// request whose reply proves every earlier frame has arrived), and a local
// book rebuilt from canonical events.
import { crc32 } from 'node:zlib';
import WebSocket from 'ws';
import type { BookEvent, VenueId } from '../../src/events';

export class Client {
  readonly frames: string[] = [];
  closeCode: number | undefined;
  private waiters: Array<() => void> = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: WebSocket.RawData) => {
      this.frames.push(data.toString());
      this.wake();
    });
    ws.on('close', (code: number) => {
      this.closeCode = code;
      this.wake();
    });
  }

  static async connect(url: string): Promise<Client> {
    const ws = new WebSocket(url);
    const c = new Client(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return c;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  send(obj: unknown): void {
    this.ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj));
  }

  /** Waits until `pred` holds (checked on each frame / close), or throws after `ms`. */
  async until(pred: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred()) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `timed out waiting for ${what}; ${this.frames.length} frames, last: ${this.frames.at(-1)?.slice(0, 200)}`,
        );
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits for a frame containing `needle` after index `from`; returns its index. */
  async waitFor(needle: string | ((f: string) => boolean), from = 0, ms = 5000): Promise<number> {
    const test = typeof needle === 'string' ? (f: string) => f.includes(needle) : needle;
    let found = -1;
    await this.until(
      () => {
        for (let i = from; i < this.frames.length; i++) {
          if (test(this.frames[i]!)) {
            found = i;
            return true;
          }
        }
        return false;
      },
      ms,
      String(needle),
    );
    return found;
  }

  /** Sends the venue's request/reply pair and waits for the reply: every frame sent before it has arrived. */
  async barrier(venue: VenueId): Promise<void> {
    const from = this.frames.length;
    const id = Math.floor(Math.random() * 1e9);
    switch (venue) {
      case 'binance':
      case 'binance-futures':
        this.send({ method: 'LIST_SUBSCRIPTIONS', id });
        await this.waitFor(`"id":${id}`, from);
        return;
      case 'kraken':
        this.send({ method: 'ping', req_id: id });
        await this.waitFor(`"req_id":${id}`, from);
        return;
      case 'bybit':
        this.send({ req_id: String(id), op: 'ping' });
        await this.waitFor('"ret_msg":"pong"', from);
        return;
      case 'okx':
        this.send('ping');
        await this.waitFor((f) => f === 'pong', from);
        return;
      case 'coinbase':
        this.send({ type: 'subscribe', product_ids: [], channels: [] });
        await this.waitFor('"type":"subscriptions"', from);
        return;
      case 'coinbase-advanced':
        this.send({ type: 'subscribe', channel: 'heartbeats' });
        await this.waitFor('"channel":"subscriptions"', from);
        return;
    }
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.terminate();
    });
  }
}

/** A local book of one symbol fed with canonical book events. */
export class LocalBook {
  bids = new Map<number, number>();
  asks = new Map<number, number>();
  ready = false;

  apply(e: BookEvent): void {
    if (e.snapshot) {
      this.bids.clear();
      this.asks.clear();
      this.ready = true;
    }
    for (const [p, q] of e.bids)
      if (q === 0) this.bids.delete(p);
      else this.bids.set(p, q);
    for (const [p, q] of e.asks)
      if (q === 0) this.asks.delete(p);
      else this.asks.set(p, q);
  }

  load(bids: Array<[number, number]>, asks: Array<[number, number]>): void {
    this.bids = new Map(bids);
    this.asks = new Map(asks);
    this.ready = true;
  }

  sorted(side: 'bid' | 'ask'): Array<[number, number]> {
    const m = side === 'bid' ? this.bids : this.asks;
    return [...m].sort((a, b) => (side === 'bid' ? b[0] - a[0] : a[0] - b[0]));
  }

  /** Keeps the best `depth` levels per side (Kraken clients truncate). */
  truncate(depth: number): void {
    this.bids = new Map(this.sorted('bid').slice(0, depth));
    this.asks = new Map(this.sorted('ask').slice(0, depth));
  }
}

/** Model levels (ticks, lots) as numbers, for comparison with a LocalBook. */
export function modelLevels(
  levels: Array<[number, number]>,
  priceExp: number,
  sizeExp: number,
): Array<[number, number]> {
  return levels.map(([p, s]) => [
    Number((p / 10 ** priceExp).toFixed(priceExp)),
    Number((s / 10 ** sizeExp).toFixed(sizeExp)),
  ]);
}

/** Legacy OKX checksum, written independently of the simulator's. */
export function okxChecksum(bids: Array<[string, string]>, asks: Array<[string, string]>): number {
  const parts: string[] = [];
  for (let i = 0; i < 25; i++) {
    if (bids[i]) parts.push(`${bids[i]![0]}:${bids[i]![1]}`);
    if (asks[i]) parts.push(`${asks[i]![0]}:${asks[i]![1]}`);
  }
  return crc32(parts.join(':')) | 0;
}

export function krakenChecksum(book: LocalBook, pxDec: number, qtyDec: number): number {
  const part = (n: number, d: number): string =>
    n
      .toFixed(d)
      .replace('.', '')
      .replace(/^0+(?=.)/, '');
  let s = '';
  for (const [p, q] of book.sorted('ask').slice(0, 10)) s += part(p, pxDec) + part(q, qtyDec);
  for (const [p, q] of book.sorted('bid').slice(0, 10)) s += part(p, pxDec) + part(q, qtyDec);
  return crc32(s) >>> 0;
}
