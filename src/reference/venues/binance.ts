// Binance spot (`binance`) and USD-M futures (`binance-futures`): the venue id
// decides the futures-only rules (bookTicker `T`, depth `pu`, markPriceUpdate).
import {
  Frame,
  JsonObject,
  rootObject,
  RejectError,
  asObject,
  pushDerivative,
  pushStatus,
  reqArray,
  reqBoolean,
  reqObject,
  textLevels,
} from '../reader';

export function normalizeBinance(f: Frame, root: unknown): void {
  let msg = rootObject(root);
  if (msg.stream !== undefined && msg.data !== undefined) msg = asObject(msg.data, 'data');
  if (msg.result !== undefined && msg.id !== undefined) {
    pushStatus(f, 'subscribed');
    return;
  }
  if (msg.rest !== undefined) return restSnapshot(f, msg);
  const e = msg.e;
  if (e === undefined) {
    if (isBookTicker(msg)) return bookTicker(f, msg);
    throw new RejectError('unknown_message');
  }
  switch (e) {
    case 'trade':
      return trade(f, msg, 't');
    case 'aggTrade':
      return trade(f, msg, 'a');
    case 'bookTicker':
      return bookTicker(f, msg);
    case 'depthUpdate':
      return depthUpdate(f, msg);
    case 'markPriceUpdate':
      if (f.venue === 'binance-futures') return markPrice(f, msg);
      break;
    case 'serverShutdown':
      pushStatus(f, 'info', 'serverShutdown');
      return;
  }
  throw new RejectError('unknown_message');
}

function isBookTicker(m: JsonObject): boolean {
  return (
    m.u !== undefined &&
    m.s !== undefined &&
    m.b !== undefined &&
    m.B !== undefined &&
    m.a !== undefined &&
    m.A !== undefined
  );
}

function trade(f: Frame, m: JsonObject, idKey: 't' | 'a'): void {
  const symbol = f.symbol(m, 's');
  const price = f.qty(m, 'p');
  const qty = f.qty(m, 'q');
  // 2019 aggTrade captures lack `a`; the trade still happened (docs/events.md).
  const id = idKey === 'a' && m.a === undefined ? '' : f.id(m, idKey);
  const side = reqBoolean(m, 'm') ? 'sell' : 'buy';
  const ts = f.ms(m, 'T');
  f.out.push({ type: 'trade', venue: f.venue, symbol, ts, recvTs: f.recvTs, price, qty, side, id });
}

function bookTicker(f: Frame, m: JsonObject): void {
  const symbol = f.symbol(m, 's');
  const bidPx = f.qty(m, 'b');
  const bidQty = f.qty(m, 'B');
  const askPx = f.qty(m, 'a');
  const askQty = f.qty(m, 'A');
  // Spot bookTicker carries no time at all.
  const ts = f.venue === 'binance-futures' ? f.ms(m, 'T') : null;
  f.out.push({ type: 'bbo', venue: f.venue, symbol, ts, recvTs: f.recvTs, bidPx, bidQty, askPx, askQty });
}

function depthUpdate(f: Frame, m: JsonObject): void {
  const symbol = f.symbol(m, 's');
  const bids = textLevels(f, reqArray(m, 'b'), 'b');
  const asks = textLevels(f, reqArray(m, 'a'), 'a');
  const seq = f.integer(m, 'u');
  // Futures chain by `pu`; spot `U` is the previous event's `u` + 1.
  const prevSeq = f.venue === 'binance-futures' ? f.integer(m, 'pu') : f.integer(m, 'U') - 1;
  const ts = f.ms(m, m.T !== undefined ? 'T' : 'E');
  f.out.push({ type: 'book', venue: f.venue, symbol, ts, recvTs: f.recvTs, snapshot: false, bids, asks, seq, prevSeq });
}

// A REST depth snapshot as the connector delivers it: the body has no
// symbol, so it arrives wrapped as {"rest":<body>,"symbol":"BNBBTC"}.
function restSnapshot(f: Frame, m: JsonObject): void {
  const symbol = f.symbol(m, 'symbol');
  const body = reqObject(m, 'rest');
  const bids = textLevels(f, reqArray(body, 'bids'), 'bids');
  const asks = textLevels(f, reqArray(body, 'asks'), 'asks');
  const seq = f.integer(body, 'lastUpdateId');
  const ts = body.T !== undefined ? f.ms(body, 'T') : null;
  f.out.push({ type: 'book', venue: f.venue, symbol, ts, recvTs: f.recvTs, snapshot: true, bids, asks, seq });
}

function markPrice(f: Frame, m: JsonObject): void {
  const symbol = f.symbol(m, 's');
  const markPx = f.qty(m, 'p');
  const indexPx = f.optQty(m, 'i');
  // Delivery contracts send `r:""` and `T:0`: no funding, not a zero rate.
  const fundingRate = f.optSigned(m, 'r');
  const nextFundingTs = f.optMsNonZero(m, 'T');
  const ts = f.ms(m, 'E');
  pushDerivative(f, symbol, ts, markPx, indexPx, fundingRate, nextFundingTs);
}
