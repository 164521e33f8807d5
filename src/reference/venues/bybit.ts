// Bybit v5 public (`bybit`). Spot and linear send the same `BTCUSDT`, so the
// connection's market (not the frame) decides the -PERP suffix.
import {
  Frame,
  JsonObject,
  rootObject,
  RejectError,
  asObject,
  optString,
  pushDerivative,
  pushStatus,
  reqArray,
  reqObject,
  reqString,
  side,
  textLevels,
} from '../reader';

export function normalizeBybit(f: Frame, root: unknown): void {
  const msg = rootObject(root);
  const topic = msg.topic;
  if (typeof topic === 'string') {
    if (topic.startsWith('publicTrade.')) return trades(f, msg);
    if (topic.startsWith('orderbook.')) return orderbook(f, msg);
    if (topic.startsWith('tickers.')) return ticker(f, msg);
    throw new RejectError('unknown_message');
  }
  if (topic === undefined && msg.op !== undefined) return opReply(f, msg);
  throw new RejectError('unknown_message');
}

function opReply(f: Frame, msg: JsonObject): void {
  const op = msg.op;
  if (op !== 'subscribe' && op !== 'unsubscribe' && op !== 'ping' && op !== 'pong') {
    throw new RejectError('unknown_message');
  }
  if (msg.success === false) return pushStatus(f, 'venue_error', optString(msg, 'ret_msg'));
  if (op === 'subscribe') return pushStatus(f, 'subscribed');
  if (op === 'unsubscribe') return pushStatus(f, 'unsubscribed');
  // Spot/linear answer a ping with op "ping" + ret_msg "pong"; option/spread with op "pong".
  return pushStatus(f, 'pong');
}

function trades(f: Frame, msg: JsonObject): void {
  for (const d of reqArray(msg, 'data')) {
    const m = asObject(d, 'data');
    const symbol = f.symbol(m, 's');
    const price = f.qty(m, 'p');
    const qty = f.qty(m, 'v');
    const id = f.id(m, 'i');
    const taker = side(m, 'S', 'Buy', 'Sell', false);
    const ts = f.ms(m, 'T');
    f.out.push({ type: 'trade', venue: f.venue, symbol, ts, recvTs: f.recvTs, price, qty, side: taker, id });
  }
}

function orderbook(f: Frame, msg: JsonObject): void {
  // `cts` is the matching-engine time; `ts` only when it is absent.
  const ts = f.ms(msg, msg.cts !== undefined ? 'cts' : 'ts');
  const type = reqString(msg, 'type');
  if (type !== 'snapshot' && type !== 'delta') throw new RejectError('wrong_type', 'type');
  const data = reqObject(msg, 'data');
  const symbol = f.symbol(data, 's');
  const bids = textLevels(f, reqArray(data, 'b'), 'b');
  const asks = textLevels(f, reqArray(data, 'a'), 'a');
  const seq = f.integer(data, 'u');
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

/** Bybit writes "" for "no value" (e.g. funding on dated futures). */
function present(m: JsonObject, key: string): boolean {
  const v = m[key];
  return v !== undefined && v !== '';
}

function ticker(f: Frame, msg: JsonObject): void {
  const ts = f.ms(msg, 'ts');
  const data = reqObject(msg, 'data');
  const symbol = f.symbol(data, 'symbol');
  // Deltas carry only changed fields; a frame yields only what it fully states.
  if (present(data, 'bid1Price') && present(data, 'ask1Price')) {
    const bidPx = f.qty(data, 'bid1Price');
    const bidQty = f.qty(data, 'bid1Size');
    const askPx = f.qty(data, 'ask1Price');
    const askQty = f.qty(data, 'ask1Size');
    f.out.push({ type: 'bbo', venue: f.venue, symbol, ts, recvTs: f.recvTs, bidPx, bidQty, askPx, askQty });
  }
  if (
    present(data, 'markPrice') ||
    present(data, 'indexPrice') ||
    present(data, 'fundingRate') ||
    present(data, 'nextFundingTime')
  ) {
    const markPx = f.optQty(data, 'markPrice');
    const indexPx = f.optQty(data, 'indexPrice');
    const fundingRate = f.optSigned(data, 'fundingRate');
    const nextFundingTs = f.optMsNonZero(data, 'nextFundingTime');
    pushDerivative(f, symbol, ts, markPx, indexPx, fundingRate, nextFundingTs);
  }
}
