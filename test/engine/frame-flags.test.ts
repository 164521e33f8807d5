// Input frame flags carry the market in bit 0 and other facts above it (0x100:
// backfilled over REST). A backfilled perp trade is still a perp trade: Bybit
// writes BTCUSDT on both its spot and linear endpoints, so only the flag says.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { venueCode } from '../../src/events';
import { Engine } from '../../src/engine/engine';
import { FRAME_RECORD_TYPE, RecordDecoder } from '../../src/engine/records';
import { FLAG_BACKFILLED } from '../../src/venues/types';

const TRADE =
  '{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1672304486868,"data":[{"T":1672304486865,"s":"BTCUSDT",' +
  '"S":"Buy","v":"0.001","p":"16578.50","L":"PlusTick","i":"20f43950-d8dd-5b31-9112-a178eb6023af","BT":false}]}';

test('the market bit survives the backfilled flag', () => {
  const engine = new Engine({ mode: 'inline', pipeline: 'normalize', inputCapacity: 1 << 16, outputCapacity: 1 << 16 });
  try {
    const symbols: string[] = [];
    const decoder = new RecordDecoder();
    for (const flags of [0, 1, FLAG_BACKFILLED, FLAG_BACKFILLED | 1]) {
      assert.ok(
        engine.writer.write(
          { type: FRAME_RECORD_TYPE, venue: venueCode('bybit'), flags, recvNs: 1_672_304_486_900_000_000n },
          Buffer.from(TRADE),
        ),
      );
      engine.poll();
      engine.reader.drain((r) => {
        const ev = decoder.decode(r);
        if (ev?.type === 'trade') symbols.push(ev.symbol);
      });
    }
    assert.deepEqual(symbols, ['BTC-USDT', 'BTC-USDT-PERP', 'BTC-USDT', 'BTC-USDT-PERP']);
  } finally {
    engine.close();
  }
});
