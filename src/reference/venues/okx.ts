// OKX v5 public (`okx`): `{arg:{channel,instId}, action?, data:[...]}` frames.
import type { BookEvent } from '../../events';
import {
  Frame,
  JsonObject,
  rootObject,
  RejectError,
  asArray,
  asObject,
  optString,
  pushDerivative,
  pushStatus,
  reqArray,
  reqString,
  side,
  textLevels,
} from '../reader';

const BOOK_CHANNELS = new Set(['books', 'books5', 'books-l2-tbt', 'books50-l2-tbt']);

export function normalizeOkx(f: Frame, root: unknown): void {
  const msg = rootObject(root);
  if (msg.event !== undefined) return event(f, msg);
  if (msg.arg === undefined) throw new RejectError('unknown_message');
  const arg = asObject(msg.arg, 'arg');
  const channel = reqString(arg, 'channel');
  if (BOOK_CHANNELS.has(channel)) return books(f, msg, arg, channel);
  switch (channel) {
    case 'trades':
    case 'trades-all':
      return trades(f, msg);
    case 'bbo-tbt':
      return bboTbt(f, msg, arg);
    case 'tickers':
      return tickers(f, msg);
    case 'mark-price':
    case 'funding-rate':
    case 'index-tickers':
      return derivatives(f, msg, channel);
  }
  throw new RejectError('unknown_message');
}

function event(f: Frame, msg: JsonObject): void {
  switch (msg.event) {
    case 'subscribe':
      return pushStatus(f, 'subscribed');
    case 'unsubscribe':
      return pushStatus(f, 'unsubscribed');
    case 'error':
      return pushStatus(f, 'venue_error', optString(msg, 'msg'));
  }
  throw new RejectError('unknown_message');
}

function trades(f: Frame, msg: JsonObject): void {
  for (const d of reqArray(msg, 'data')) {
    const m = asObject(d, 'data');
    const symbol = f.symbol(m, 'instId');
    const price = f.qty(m, 'px');
    const qty = f.qty(m, 'sz');
    const id = f.id(m, 'tradeId');
    const taker = side(m, 'side', 'buy', 'sell', false);
    const ts = f.ms(m, 'ts');
    f.out.push({ type: 'trade', venue: f.venue, symbol, ts, recvTs: f.recvTs, price, qty, side: taker, id });
  }
}

function books(f: Frame, msg: JsonObject, arg: JsonObject, channel: string): void {
  // books5 pushes full top-5 books and has no `action`.
  let snapshot = true;
  if (channel !== 'books5') {
    const action = reqString(msg, 'action');
    if (action !== 'snapshot' && action !== 'update') throw new RejectError('wrong_type', 'action');
    snapshot = action === 'snapshot';
  }
  // Book data elements do not repeat the instrument; it is in `arg`.
  const symbol = f.symbol(arg, 'instId');
  for (const d of reqArray(msg, 'data')) {
    const m = asObject(d, 'data');
    const bids = textLevels(f, reqArray(m, 'bids'), 'bids');
    const asks = textLevels(f, reqArray(m, 'asks'), 'asks');
    const seq = f.optInteger(m, 'seqId');
    const prevSeq = f.optInteger(m, 'prevSeqId');
    const checksum = f.optInteger(m, 'checksum');
    const ts = f.ms(m, 'ts');
    const book: BookEvent = { type: 'book', venue: f.venue, symbol, ts, recvTs: f.recvTs, snapshot, bids, asks };
    if (seq !== undefined) book.seq = seq;
    if (prevSeq !== undefined) book.prevSeq = prevSeq;
    if (checksum !== undefined) book.checksum = checksum;
    f.out.push(book);
  }
}

function bboTbt(f: Frame, msg: JsonObject, arg: JsonObject): void {
  const symbol = f.symbol(arg, 'instId');
  for (const d of reqArray(msg, 'data')) {
    const m = asObject(d, 'data');
    const bid = firstLevel(m, 'bids');
    const ask = firstLevel(m, 'asks');
    const bidPx = f.qtyText(bid[0], 'bids');
    const bidQty = f.qtyText(bid[1], 'bids');
    const askPx = f.qtyText(ask[0], 'asks');
    const askQty = f.qtyText(ask[1], 'asks');
    const ts = f.ms(m, 'ts');
    f.out.push({ type: 'bbo', venue: f.venue, symbol, ts, recvTs: f.recvTs, bidPx, bidQty, askPx, askQty });
  }
}

function firstLevel(m: JsonObject, key: string): readonly unknown[] {
  const list = reqArray(m, key);
  if (list.length === 0) throw new RejectError('missing_field', key);
  const level = asArray(list[0], key);
  if (level.length < 2) throw new RejectError('missing_field', key);
  return level;
}

function tickers(f: Frame, msg: JsonObject): void {
  for (const d of reqArray(msg, 'data')) {
    const m = asObject(d, 'data');
    const symbol = f.symbol(m, 'instId');
    const bidPx = f.qty(m, 'bidPx');
    const bidQty = f.qty(m, 'bidSz');
    const askPx = f.qty(m, 'askPx');
    const askQty = f.qty(m, 'askSz');
    const ts = f.ms(m, 'ts');
    f.out.push({ type: 'bbo', venue: f.venue, symbol, ts, recvTs: f.recvTs, bidPx, bidQty, askPx, askQty });
  }
}

function derivatives(f: Frame, msg: JsonObject, channel: 'mark-price' | 'funding-rate' | 'index-tickers'): void {
  for (const d of reqArray(msg, 'data')) {
    const m = asObject(d, 'data');
    const symbol = f.symbol(m, 'instId');
    if (channel === 'mark-price') {
      const markPx = f.qty(m, 'markPx');
      pushDerivative(f, symbol, f.ms(m, 'ts'), markPx, undefined, undefined, undefined);
    } else if (channel === 'funding-rate') {
      const fundingRate = f.signed(m, 'fundingRate');
      const nextFundingTs = f.ms(m, 'fundingTime');
      pushDerivative(f, symbol, f.ms(m, 'ts'), undefined, undefined, fundingRate, nextFundingTs);
    } else {
      const indexPx = f.qty(m, 'idxPx');
      pushDerivative(f, symbol, f.ms(m, 'ts'), undefined, indexPx, undefined, undefined);
    }
  }
}
