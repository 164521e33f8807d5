// Coinbase Exchange ws-feed (`coinbase`).
import type { Level } from '../../events';
import {
  Frame,
  JsonObject,
  rootObject,
  RejectError,
  asArray,
  optString,
  pushStatus,
  reqArray,
  side,
  textLevels,
} from '../reader';

export function normalizeCoinbase(f: Frame, root: unknown): void {
  const msg = rootObject(root);
  switch (msg.type) {
    case 'match':
    case 'last_match':
      return match(f, msg);
    case 'ticker':
      return ticker(f, msg);
    case 'snapshot':
      return snapshot(f, msg);
    case 'l2update':
      return l2update(f, msg);
    case 'heartbeat':
      return pushStatus(f, 'heartbeat');
    case 'subscriptions':
      return pushStatus(f, 'subscribed');
    case 'error':
      return pushStatus(f, 'venue_error', optString(msg, 'message'));
  }
  throw new RejectError('unknown_message');
}

function match(f: Frame, m: JsonObject): void {
  const symbol = f.symbol(m, 'product_id');
  const price = f.qty(m, 'price');
  const qty = f.qty(m, 'size');
  const id = f.id(m, 'trade_id');
  // `side` is the maker's order side; the aggressor is the other one.
  const taker = side(m, 'side', 'buy', 'sell', true);
  const ts = f.rfc3339(m, 'time');
  f.out.push({ type: 'trade', venue: f.venue, symbol, ts, recvTs: f.recvTs, price, qty, side: taker, id });
}

function ticker(f: Frame, m: JsonObject): void {
  const symbol = f.symbol(m, 'product_id');
  const bidPx = f.qty(m, 'best_bid');
  // The 2021 feed sent no sizes; the doc fixes them to 0 rather than rejecting.
  const bidQty = m.best_bid_size === undefined ? 0 : f.qty(m, 'best_bid_size');
  const askPx = f.qty(m, 'best_ask');
  const askQty = m.best_ask_size === undefined ? 0 : f.qty(m, 'best_ask_size');
  const ts = f.rfc3339(m, 'time');
  f.out.push({ type: 'bbo', venue: f.venue, symbol, ts, recvTs: f.recvTs, bidPx, bidQty, askPx, askQty });
}

function snapshot(f: Frame, m: JsonObject): void {
  const symbol = f.symbol(m, 'product_id');
  const bids = textLevels(f, reqArray(m, 'bids'), 'bids');
  const asks = textLevels(f, reqArray(m, 'asks'), 'asks');
  f.out.push({ type: 'book', venue: f.venue, symbol, ts: null, recvTs: f.recvTs, snapshot: true, bids, asks });
}

function l2update(f: Frame, m: JsonObject): void {
  const symbol = f.symbol(m, 'product_id');
  const changes = reqArray(m, 'changes');
  const bids: Level[] = [];
  const asks: Level[] = [];
  for (const change of changes) {
    const entry = asArray(change, 'changes');
    if (entry.length < 3) throw new RejectError('missing_field', 'changes');
    const s = entry[0];
    if (s !== 'buy' && s !== 'sell') throw new RejectError('wrong_type', 'changes side');
    const level: Level = [f.qtyText(entry[1], 'changes'), f.qtyText(entry[2], 'changes')];
    f.noteLevel(level, entry[1], entry[2]);
    (s === 'buy' ? bids : asks).push(level);
  }
  const ts = f.rfc3339(m, 'time');
  f.out.push({ type: 'book', venue: f.venue, symbol, ts, recvTs: f.recvTs, snapshot: false, bids, asks });
}
