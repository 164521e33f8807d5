// The mixed stream of the engine benchmarks (bench/run.ts `engine`,
// bench/native/gen-frames.ts `mixed.tsv`): per step a Binance trade, a Binance
// bookTicker, a Bybit trade and a Bybit 10-level delta on a 200-level book,
// as a busy feed interleaves them. Trades advance in event time with the
// deltas (1 ms per step) and vary in price, so windows expire, EMAs decay and
// bars close as on a live feed; a stream whose trades all carry one time
// would instead keep every trade in the 60 s window and never close a bar.
import { bybitBook } from './bybit-book';

export interface MixedFrame {
  venue: 'binance' | 'bybit';
  /** Input record flags: 1 = perp market (Bybit linear). */
  flags: number;
  text: string;
  /** A plausible receive time: the step's exchange time + 0.3 ms, in ns. */
  recvNs: bigint;
}

export function mixedStream(steps: number): { snapshot: MixedFrame; frames: MixedFrame[] } {
  const { snapshot, deltas } = bybitBook(200, 10, steps);
  const frames: MixedFrame[] = [];
  const t0 = 1_786_310_819_050; // the deltas' cts for u = 0 (bench/bybit-book.ts)
  for (let d = 0; d < steps; d++) {
    const ms = t0 + d + 2;
    const wiggle = (d * 7919) % 13; // deterministic price moves, a few ticks either way
    const recvNs = BigInt(ms) * 1_000_000n + 300_000n;
    frames.push(
      {
        venue: 'binance',
        flags: 0,
        recvNs,
        text: `{"e":"trade","E":${ms + 1},"s":"BTCUSDT","t":${1_000_000 + d},"p":"${(50000 + wiggle * 0.5).toFixed(2)}","q":"0.0${(d % 90) + 10}","T":${ms},"m":${d % 3 === 0},"M":true}`,
      },
      {
        venue: 'binance',
        flags: 0,
        recvNs,
        text: `{"u":${400_900_217 + d},"s":"BTCUSDT","b":"${(49999 + wiggle * 0.5).toFixed(2)}","B":"1.${d % 1000}","a":"${(50001 + wiggle * 0.5).toFixed(2)}","A":"2.${d % 997}"}`,
      },
      {
        venue: 'bybit',
        flags: 1,
        recvNs,
        text: `{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":${ms + 1},"data":[{"T":${ms},"s":"BTCUSDT","S":"${d % 2 === 0 ? 'Buy' : 'Sell'}","v":"0.00${(d % 9) + 1}","p":"${(50000.5 + wiggle * 0.5).toFixed(2)}","L":"PlusTick","i":"a9188a0a-82bc-50de-be60-${String(d).padStart(12, '0')}","BT":false,"RPI":false,"seq":${753_843_954_913 + d}}]}`,
      },
      { venue: 'bybit', flags: 1, recvNs, text: deltas[d]! },
    );
  }
  return { snapshot: { venue: 'bybit', flags: 1, text: snapshot, recvNs: BigInt(t0) * 1_000_000n }, frames };
}
