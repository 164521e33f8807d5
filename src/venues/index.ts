// Venue connectors: WebSocket feeds into the input ring (docs/connectors.md).
export { FeedManager, createConnector, parseFeedConfig, simulatorVenueUrls, RESYNC_RECORD_TYPE } from './manager';
export type { FeedManagerConfig, FeedManagerOptions } from './manager';
export { Connector, nowNs, type ConnectionInfo } from './connection';
export { BinanceConnector, BinanceFuturesConnector } from './binance';
export { CoinbaseConnector } from './coinbase';
export { CoinbaseAdvancedConnector } from './coinbase-advanced';
export { KrakenConnector } from './kraken';
export { BybitConnector } from './bybit';
export { OkxConnector } from './okx';
export { TokenBucket, backoffDelay } from './backoff';
export { SymbolMap } from './symbols';
export * from './types';
