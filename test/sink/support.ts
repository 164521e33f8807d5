// Shared by the sink and consumer tests: a real Kafka broker on a free port
// in a temp dir, sample values for every schema, small waiting helpers.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, stopBroker, type StartResult } from '../../src/kafka/broker';
import type { SchemaTypes, KnownSchemaName } from '../../src/sink/schemas';
import type { SinkLogger } from '../../src/sink/sink';

const HOST = '127.0.0.1';

function listenOn(port: number): Promise<ReturnType<typeof createServer> | null> {
  return new Promise((res) => {
    const srv = createServer();
    srv.once('error', () => res(null));
    srv.listen(port, HOST, () => res(srv));
  });
}

const closeServer = (srv: ReturnType<typeof createServer>): Promise<void> =>
  new Promise((res) => srv.close(() => res()));

/** A port p with p and p + 1 both free (the controller listens on p + 1). */
export async function freePortPair(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const a = await listenOn(0);
    if (a === null) continue;
    const addr = a.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
    await closeServer(a);
    if (port === 0 || port >= 65534) continue;
    const b = await listenOn(port + 1);
    if (b === null) continue;
    await closeServer(b);
    return port;
  }
  throw new Error('no free port pair');
}

export interface TestBroker {
  port: number;
  dir: string;
  brokers: string;
  started?: StartResult;
  start(): Promise<StartResult>;
  stop(): Promise<void>;
  /** Stops the broker (if running) and removes its directory. */
  dispose(): Promise<void>;
}

export async function testBroker(name: string): Promise<TestBroker> {
  const port = await freePortPair();
  const dir = mkdtempSync(join(tmpdir(), `tickwire-${name}-`));
  const b: TestBroker = {
    port,
    dir,
    brokers: `${HOST}:${port}`,
    async start() {
      const r = await startBroker({ port, dir: join(dir, 'kafka') });
      b.started = r;
      return r;
    },
    async stop() {
      await stopBroker({ dir: join(dir, 'kafka') });
    },
    async dispose() {
      await stopBroker({ dir: join(dir, 'kafka') }).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return b;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function waitFor(what: string, cond: () => boolean, timeoutMs: number, stepMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(stepMs);
  }
}

/** A logger that keeps lines (and echoes them when TICKWIRE_TEST_LOG is set). */
export function memoryLogger(): SinkLogger & { lines: string[] } {
  const lines: string[] = [];
  const put =
    (level: string) =>
    (m: string): void => {
      lines.push(`${level} ${m}`);
      if (process.env['TICKWIRE_TEST_LOG'] !== undefined) process.stderr.write(`[sink ${level}] ${m}\n`);
    };
  return { lines, info: put('info'), warn: put('warn'), error: put('error') };
}

const T0 = 1_700_000_000_000_000;

/** One value per built-in schema, covering optional fields and odd content. */
export const SAMPLES: { [N in KnownSchemaName]: SchemaTypes[N][] } = {
  'tick.trade': [
    {
      type: 'trade',
      venue: 'binance',
      symbol: 'BTC-USDT',
      ts: T0,
      recvTs: T0 + 150,
      price: 43_210.5,
      qty: 0.0125,
      side: 'buy',
      id: '12345',
    },
    {
      type: 'trade',
      venue: 'kraken',
      symbol: 'ÉTH-EUR',
      ts: null,
      recvTs: T0 + 9,
      price: 1e-8,
      qty: 12345678.9,
      side: 'sell',
      id: 'abc-ü',
    },
  ],
  'tick.bbo': [
    {
      type: 'bbo',
      venue: 'okx',
      symbol: 'BTC-USDT-PERP',
      ts: T0 + 1,
      recvTs: T0 + 2,
      bidPx: 43_000.1,
      bidQty: 1.5,
      askPx: 43_000.2,
      askQty: 0,
    },
    {
      type: 'bbo',
      venue: 'binance',
      symbol: 'ETH-USDT',
      ts: null,
      recvTs: T0 + 3,
      bidPx: 2000,
      bidQty: 3,
      askPx: 2000.01,
      askQty: 4,
    },
  ],
  'tick.book': [
    {
      type: 'book',
      venue: 'coinbase',
      symbol: 'BTC-USD',
      ts: T0,
      recvTs: T0 + 5,
      snapshot: true,
      bids: [
        [43_000, 1],
        [42_999.5, 2.25],
      ],
      asks: [[43_001, 0.5]],
      seq: 987654321012,
      prevSeq: 987654321011,
      checksum: -123456789,
    },
    {
      type: 'book',
      venue: 'bybit',
      symbol: 'SOL-USDT',
      ts: null,
      recvTs: T0 + 6,
      snapshot: false,
      bids: [],
      asks: [[150.25, 0]],
    },
  ],
  'tick.derivative': [
    {
      type: 'derivative',
      venue: 'binance-futures',
      symbol: 'BTC-USDT-PERP',
      ts: T0,
      recvTs: T0 + 7,
      markPx: 43_100.12,
      indexPx: 43_099.9,
      fundingRate: -0.0001,
      nextFundingTs: T0 + 3_600_000_000,
    },
    { type: 'derivative', venue: 'okx', symbol: 'ETH-USDT-PERP', ts: T0, recvTs: T0 + 8, indexPx: 2001.5 },
  ],
  status: [
    { type: 'status', venue: 'coinbase', kind: 'subscribed', detail: 'ticker,matches' },
    { type: 'status', venue: 'kraken', kind: 'heartbeat' },
    { type: 'reject', venue: 'okx', reason: 'malformed_json', sample: '{"arg":{"channel":"trades"' },
    { type: 'feed_status', venue: 'bybit', connection: 3, state: 'reconnecting', reason: 'stale 30000 ms', ts: T0 },
    { type: 'feed_status', venue: 'okx', connection: 1, state: 'subscribed', symbol: 'BTC-USDT', ts: T0 + 5 },
    {
      type: 'book_status',
      venue: 'kraken',
      symbol: 'BTC-USD',
      state: 'RESYNCING',
      previous: 'VALID',
      reason: 'checksum_mismatch',
      ts: T0 + 7,
    },
  ],
  metrics: [{ ts: T0, source: 'sink', values: { delivered: 12, 'latency.p99.us': 812.5, spilled: 0 } }],
  raw: [
    {
      venue: 'binance',
      market: 'spot',
      conn: 'c1',
      recvNs: 1_700_000_000_000_000_123n,
      frame: Buffer.from('{"e":"trade","s":"BTCUSDT"}'),
    },
    { venue: 'bybit', recvNs: 1_700_000_000_000_000_456n, frame: Buffer.from([0xff, 0x00, 0x7b, 0x80]) },
  ],
};
