// Binance USD-M futures: the Binance encoder with the futures rules (`pu`,
// `T` on bookTicker/depth, markPriceUpdate, `/fapi/v1` REST).
import { BinanceAdapter } from './binance';
import type { SimInstrument, VenueContext } from './types';

export function createBinanceFutures(ctx: VenueContext, instruments: readonly SimInstrument[]): BinanceAdapter {
  return new BinanceAdapter(ctx, instruments, true);
}
