// Coinbase Advanced Trade (`coinbase-advanced`): one envelope, events[] inside.
import type { Level } from '../../events';
import { Frame, JsonObject, rootObject, RejectError, asObject, pushStatus, reqArray, reqString, side } from '../reader';

export function normalizeCoinbaseAdvanced(f: Frame, root: unknown): void {
  const msg = rootObject(root);
  switch (msg.channel) {
    case 'market_trades':
      return marketTrades(f, msg);
    case 'ticker':
      return ticker(f, msg);
    case 'l2_data':
      return l2Data(f, msg);
    case 'heartbeats':
      return pushStatus(f, 'heartbeat');
    case 'subscriptions':
      return pushStatus(f, 'subscribed');
  }
  throw new RejectError('unknown_message');
}

function marketTrades(f: Frame, msg: JsonObject): void {
  for (const event of reqArray(msg, 'events')) {
    for (const t of reqArray(asObject(event, 'events'), 'trades')) {
      const m = asObject(t, 'trades');
      const symbol = f.symbol(m, 'product_id');
      const price = f.qty(m, 'price');
      const qty = f.qty(m, 'size');
      const id = f.id(m, 'trade_id');
      // Like the Exchange feed, `side` names the maker.
      const taker = side(m, 'side', 'BUY', 'SELL', true);
      const ts = f.rfc3339(m, 'time');
      f.out.push({ type: 'trade', venue: f.venue, symbol, ts, recvTs: f.recvTs, price, qty, side: taker, id });
    }
  }
}

function ticker(f: Frame, msg: JsonObject): void {
  const ts = f.rfc3339(msg, 'timestamp');
  for (const event of reqArray(msg, 'events')) {
    for (const t of reqArray(asObject(event, 'events'), 'tickers')) {
      const m = asObject(t, 'tickers');
      const symbol = f.symbol(m, 'product_id');
      const bidPx = f.qty(m, 'best_bid');
      const bidQty = f.qty(m, 'best_bid_quantity');
      const askPx = f.qty(m, 'best_ask');
      const askQty = f.qty(m, 'best_ask_quantity');
      f.out.push({ type: 'bbo', venue: f.venue, symbol, ts, recvTs: f.recvTs, bidPx, bidQty, askPx, askQty });
    }
  }
}

function l2Data(f: Frame, msg: JsonObject): void {
  // Snapshot updates carry event_time 1970-01-01, so the envelope time is used throughout.
  const ts = f.rfc3339(msg, 'timestamp');
  const seq = f.integer(msg, 'sequence_num');
  for (const e of reqArray(msg, 'events')) {
    const event = asObject(e, 'events');
    const type = reqString(event, 'type');
    if (type !== 'snapshot' && type !== 'update') throw new RejectError('wrong_type', 'type');
    const symbol = f.symbol(event, 'product_id');
    const bids: Level[] = [];
    const asks: Level[] = [];
    for (const u of reqArray(event, 'updates')) {
      const m = asObject(u, 'updates');
      const s = reqString(m, 'side');
      if (s !== 'bid' && s !== 'offer') throw new RejectError('wrong_type', 'side');
      const level: Level = [f.qty(m, 'price_level'), f.qty(m, 'new_quantity')];
      f.noteLevel(level, m.price_level, m.new_quantity);
      (s === 'bid' ? bids : asks).push(level);
    }
    f.out.push({
      type: 'book',
      venue: f.venue,
      symbol,
      ts,
      recvTs: f.recvTs,
      snapshot: type === 'snapshot',
      bids,
      asks,
      seq,
    });
  }
}
