// Bounded throughput probe (not a test): all venues at the maximum rate with
// in-process clients subscribed to book, trade and top-of-book channels;
// prints model steps/s, frames sent/s and frames received/s.
// Usage: node --import tsx test/simulator/throughput.ts [seconds=4] [rate=1000000]
import { startSimulator } from '../../src/simulator/server';
import { Client } from './helpers';

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 4);
  const rate = Number(process.argv[3] ?? 1_000_000);
  const sim = await startSimulator({ symbols: ['BTC-USDT', 'ETH-USDT'], rate, seed: 1, paused: true });
  const u = sim.urls;
  const clients = await Promise.all([
    Client.connect(
      `${u.binance!.ws.replace(/\/ws$/, '')}/stream?streams=btcusdt@trade/btcusdt@depth@100ms/btcusdt@bookTicker/ethusdt@trade/ethusdt@depth@100ms/ethusdt@bookTicker`,
    ),
    Client.connect(
      `${u['binance-futures']!.ws}/btcusdt@trade/btcusdt@depth@100ms/btcusdt@bookTicker/ethusdt@depth@100ms`,
    ),
    Client.connect(u.coinbase!.ws),
    Client.connect(u['coinbase-advanced']!.ws),
    Client.connect(u.kraken!.ws),
    Client.connect(u.bybit!.ws),
    Client.connect(u.bybit!.wsPerp!),
    Client.connect(u.okx!.ws),
  ]);
  const [, , cb, cba, kr, bys, byl, okx] = clients;
  cb!.send({
    type: 'subscribe',
    product_ids: ['BTC-USDT', 'ETH-USDT'],
    channels: ['level2_batch', 'matches', 'ticker'],
  });
  for (const ch of ['level2', 'market_trades', 'ticker'])
    cba!.send({ type: 'subscribe', product_ids: ['BTC-USDT', 'ETH-USDT'], channel: ch });
  for (const ch of ['book', 'trade', 'ticker'])
    kr!.send({ method: 'subscribe', params: { channel: ch, symbol: ['BTC/USDT', 'ETH/USDT'] } });
  for (const c of [bys!, byl!])
    c.send({
      op: 'subscribe',
      args: ['orderbook.50.BTCUSDT', 'publicTrade.BTCUSDT', 'tickers.BTCUSDT', 'orderbook.50.ETHUSDT'],
    });
  okx!.send({
    op: 'subscribe',
    args: ['books', 'trades', 'bbo-tbt'].flatMap((channel) =>
      ['BTC-USDT', 'BTC-USDT-SWAP', 'ETH-USDT'].map((instId) => ({ channel, instId })),
    ),
  });
  await new Promise((r) => setTimeout(r, 300));
  for (const c of clients) c.frames.length = 0;
  let received = 0;
  for (const c of clients) c.ws.on('message', () => received++);
  const s0 = sim.stats();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  sim.resume();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  sim.pause();
  const dt = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSec = (cpu.user + cpu.system) / 1e6;
  const s1 = sim.stats();
  const steps = s1.modelSteps - s0.modelSteps;
  const frames = s1.framesSent - s0.framesSent;
  console.log(
    JSON.stringify({
      rate,
      seconds: Number(dt.toFixed(2)),
      stepsPerSec: Math.round(steps / dt),
      framesSentPerSec: Math.round(frames / dt),
      framesReceivedPerSec: Math.round(received / dt),
      MBytesPerSec: Number(((s1.bytesSent - s0.bytesSent) / dt / 1e6).toFixed(1)),
      lagSteps: s1.lagSteps,
      cpuSeconds: Number(cpuSec.toFixed(2)),
      framesPerCpuSecond: Math.round(frames / cpuSec),
    }),
  );
  for (const c of clients) c.frames.length = 0;
  await Promise.all(clients.map((c) => c.close()));
  await sim.close();
}

void main();
