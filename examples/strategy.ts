// A small strategy on the consumer SDK: it follows one symbol's top of book
// and 1 s trade flow on every venue and says when both lean the same way
// (microprice above mid and buyers taking, or the reverse). It trades nothing;
// it shows how a strategy subscribes, reads typed signals and shuts down.
//
//   npx tsx examples/strategy.ts [--symbol BTC-USDT] [--brokers 127.0.0.1:9092]
//                                [--prefix md.] [--from latest|earliest] [--max N]
import { parseArgs } from 'node:util';
import { subscribeSignals, type BboSignal, type TradeStatsSignal } from '../src/consumer';

const { values: o } = parseArgs({
  options: {
    symbol: { type: 'string', default: 'BTC-USDT' },
    brokers: { type: 'string' },
    prefix: { type: 'string', default: 'md.' },
    from: { type: 'string', default: 'latest' },
    max: { type: 'string' },
  },
});
const maxCalls = o.max !== undefined ? Number(o.max) : Infinity;

/** Per venue: the latest quote and the latest 1 s trade-flow imbalance. */
const state = new Map<string, { bbo?: BboSignal; flow?: TradeStatsSignal }>();
let calls = 0;

function lean(venue: string): 'buy' | 'sell' | undefined {
  const s = state.get(venue);
  if (s?.bbo === undefined || s.flow === undefined || !s.bbo.valid) return undefined;
  const skew = (s.bbo.microprice - s.bbo.mid) / (s.bbo.askPx - s.bbo.bidPx || 1);
  if (skew > 0.1 && s.flow.tfi > 0.3) return 'buy';
  if (skew < -0.1 && s.flow.tfi < -0.3) return 'sell';
  return undefined;
}

async function main(): Promise<void> {
  const sub = await subscribeSignals({
    ...(o.brokers !== undefined ? { brokers: o.brokers } : {}),
    prefix: o.prefix!,
    signals: ['bbo', 'trade_stats'],
    symbols: o.symbol!,
    from: o.from === 'earliest' ? 'earliest' : 'latest',
  });
  const stop = (): void => void sub.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.stderr.write(`strategy: following ${o.symbol} on ${sub.topics.join(', ')}\n`);
  for await (const m of sub) {
    const v = m.value;
    const s = state.get(m.venue) ?? {};
    if (v.signal === 'bbo') s.bbo = v;
    else if (v.signal === 'trade_stats' && v.window === 1_000_000) s.flow = v;
    state.set(m.venue, s);
    const side = lean(m.venue);
    if (side === undefined) continue;
    const q = s.bbo!;
    process.stdout.write(
      `${new Date(q.ts / 1000).toISOString()} ${m.venue} ${o.symbol} lean ${side} ` +
        `mid ${q.mid} microprice ${q.microprice.toFixed(4)} tfi ${s.flow!.tfi.toFixed(2)}\n`,
    );
    if (++calls >= maxCalls) break;
  }
  await sub.close();
}

main().catch((e: unknown) => {
  process.stderr.write(`strategy: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
