// `tickwire book --venue V [--symbol S] [--depth N]`: raw frames of venue V
// (and, for Binance, `{"rest":<depth snapshot body>,"symbol":"BNBBTC"}` lines)
// through the native engine's books; one line per book update with its
// verdict, the book's state and the top of the book after it.
import { parseArgs } from 'node:util';
import { marketCode, venueCode } from '../events';
import { decodeBookRecord } from '../engine/book-records';
import { Engine } from '../engine/engine';
import { FRAME_RECORD_TYPE, RecordDecoder } from '../engine/records';
import { EngineStream } from '../engine/stream';
import { frameFromLine, InputLineError, parseMarketOption, parseVenueOption } from './frames';
import { byteLines, LineWriter } from './lines';

const USAGE = `usage: tickwire book --venue V [--market spot|perp] [--symbol S] [--depth N]
Reads raw frames of venue V (JSON Lines) on stdin, plus {"rest":<body>,"symbol":"…"}
lines for REST depth snapshots; prints {"symbol","verdict","state","top"} per book update.
--depth is the subscribed book depth the venue truncates to (Kraken; default 10).`;

export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        venue: { type: 'string' },
        market: { type: 'string' },
        symbol: { type: 'string' },
        depth: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (error) {
    process.stderr.write(`tickwire book: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let venue, market;
  try {
    venue = parseVenueOption(values.venue);
    market = parseMarketOption(values.market);
  } catch (error) {
    process.stderr.write(`tickwire book: ${(error as Error).message}\n`);
    return 2;
  }
  if (venue === undefined) {
    process.stderr.write(`tickwire book: --venue is required\n${USAGE}\n`);
    return 2;
  }
  const depth = values.depth === undefined ? 10 : Number(values.depth);
  if (!Number.isInteger(depth) || depth < 1 || depth > 1000) {
    process.stderr.write('tickwire book: --depth must be an integer from 1 to 1000\n');
    return 2;
  }

  const out = new LineWriter(process.stdout);
  const engine = new Engine({ mode: 'inline', pipeline: 'normalize', bookVerdicts: true, krakenDepth: depth });
  const decoder = new RecordDecoder();
  const stream = new EngineStream(engine, (record) => {
    if (record.type === 16) {
      decoder.decode(record); // symbol record: learn the id
      return;
    }
    const event = decodeBookRecord(record, decoder);
    if (event?.type !== 'book_verdict') return;
    if (values.symbol !== undefined && event.symbol !== values.symbol) return;
    out.write(JSON.stringify({ symbol: event.symbol, verdict: event.verdict, state: event.state, top: event.top }));
  });
  try {
    let lineNo = 0;
    for await (const line of byteLines(process.stdin)) {
      lineNo++;
      try {
        const frame = frameFromLine(line, venue, market);
        const meta = { type: FRAME_RECORD_TYPE, venue: venueCode(venue), flags: marketCode(frame.market) };
        stream.push({ ...meta, recvNs: BigInt(frame.recvTs) * 1000n }, frame.raw);
      } catch (error) {
        if (!(error instanceof InputLineError)) throw error;
        process.stderr.write(`tickwire book: line ${lineNo}: ${error.message}\n`);
      }
      if (out.pendingLines() > 4096) {
        stream.pump();
        await out.flush();
      }
    }
    stream.pump();
    await out.flush(true);
  } finally {
    engine.close();
  }
  return 0;
}
