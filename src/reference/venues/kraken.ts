// Kraken Spot WebSocket v2 (`kraken`). Prices and sizes are JSON numbers.
import type { Level } from '../../events';
import {
  Frame,
  JsonArray,
  JsonObject,
  rootObject,
  RejectError,
  asObject,
  optString,
  pushStatus,
  reqArray,
  reqBoolean,
  reqString,
  side,
} from '../reader';

export function normalizeKraken(f: Frame, root: unknown): void {
  const msg = rootObject(root);
  const channel = msg.channel;
  if (channel !== undefined) {
    switch (channel) {
      case 'trade':
        return trades(f, msg);
      case 'ticker':
        return tickers(f, msg);
      case 'book':
        return books(f, msg);
      case 'heartbeat':
        return pushStatus(f, 'heartbeat');
      case 'status':
        return pushStatus(f, 'info');
    }
    throw new RejectError('unknown_message');
  }
  switch (msg.method) {
    case 'subscribe':
    case 'unsubscribe':
      // A failed request is reported with `success:false` and an `error` text.
      if (!reqBoolean(msg, 'success')) return pushStatus(f, 'venue_error', optString(msg, 'error'));
      return pushStatus(f, msg.method === 'subscribe' ? 'subscribed' : 'unsubscribed');
    case 'pong':
      return pushStatus(f, 'pong');
  }
  throw new RejectError('unknown_message');
}

function trades(f: Frame, msg: JsonObject): void {
  for (const d of reqArray(msg, 'data')) {
    const m = asObject(d, 'data');
    const symbol = f.symbol(m, 'symbol');
    const price = f.jsonQty(m, 'price');
    const qty = f.jsonQty(m, 'qty');
    const id = f.id(m, 'trade_id');
    const taker = side(m, 'side', 'buy', 'sell', false);
    const ts = f.rfc3339(m, 'timestamp');
    f.out.push({ type: 'trade', venue: f.venue, symbol, ts, recvTs: f.recvTs, price, qty, side: taker, id });
  }
}

function tickers(f: Frame, msg: JsonObject): void {
  for (const d of reqArray(msg, 'data')) {
    const m = asObject(d, 'data');
    const symbol = f.symbol(m, 'symbol');
    const bidPx = f.jsonQty(m, 'bid');
    const bidQty = f.jsonQty(m, 'bid_qty');
    const askPx = f.jsonQty(m, 'ask');
    const askQty = f.jsonQty(m, 'ask_qty');
    const ts = m.timestamp === undefined ? null : f.rfc3339(m, 'timestamp');
    f.out.push({ type: 'bbo', venue: f.venue, symbol, ts, recvTs: f.recvTs, bidPx, bidQty, askPx, askQty });
  }
}

function books(f: Frame, msg: JsonObject): void {
  const type = reqString(msg, 'type');
  if (type !== 'snapshot' && type !== 'update') throw new RejectError('wrong_type', 'type');
  for (const d of reqArray(msg, 'data')) {
    const m = asObject(d, 'data');
    const symbol = f.symbol(m, 'symbol');
    const bids = levels(f, reqArray(m, 'bids'), 'bids');
    const asks = levels(f, reqArray(m, 'asks'), 'asks');
    const checksum = f.optInteger(m, 'checksum');
    // Snapshots may come without a timestamp.
    const ts = m.timestamp === undefined ? null : f.rfc3339(m, 'timestamp');
    f.out.push(
      checksum === undefined
        ? { type: 'book', venue: f.venue, symbol, ts, recvTs: f.recvTs, snapshot: type === 'snapshot', bids, asks }
        : {
            type: 'book',
            venue: f.venue,
            symbol,
            ts,
            recvTs: f.recvTs,
            snapshot: type === 'snapshot',
            bids,
            asks,
            checksum,
          },
    );
  }
}

function levels(f: Frame, list: JsonArray, what: string): Level[] {
  const out: Level[] = new Array<Level>(list.length);
  for (let i = 0; i < list.length; i++) {
    const m = asObject(list[i], what);
    const level: Level = [f.jsonQty(m, 'price'), f.jsonQty(m, 'qty')];
    // The checksum hashes the digits as sent: keep the number tokens' text.
    f.noteLevel(level, f.numberText(m, 'price'), f.numberText(m, 'qty'));
    out[i] = level;
  }
  return out;
}
