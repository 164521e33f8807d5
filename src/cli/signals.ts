// `tickwire signals [--venue V] [--signals bbo,bar,…] [--config F] [--engine native|ts]`:
// the same input as `tickwire normalize`, signal records out as JSON Lines in
// the order computed, through the real engine (normalize → books → signals).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { marketCode, venueCode } from '../events';
import { Engine } from '../engine/engine';
import { FRAME_RECORD_TYPE, RecordDecoder } from '../engine/records';
import { SIGNAL_RECORD_TYPES, SignalDecoder, type SignalName, type SignalRecord } from '../engine/signals';
import { EngineStream } from '../engine/stream';
import { ReferencePipeline } from '../reference/pipeline';
import type { SignalConfig } from '../reference/signals/engine';
import { frameFromLine, InputLineError, parseMarketOption, parseVenueOption } from './frames';
import { byteLines, LineWriter } from './lines';

const USAGE = `usage: tickwire signals [--venue V] [--market spot|perp] [--signals bbo,bar,…] [--config F.json] [--engine native|ts]
Reads raw frames of V (or capture records) on stdin; prints signal records as JSON Lines.
--config: a JSON file with signal parameters in µs, e.g. {"barIntervalsUs":[1000000],"latenessUs":500000,"latePolicy":"revise"}.
--engine native (default) runs the native engine; --engine ts the TypeScript reference of the
same pipeline (normalize → order books → signals), which prints the same records.`;

export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        venue: { type: 'string' },
        market: { type: 'string' },
        signals: { type: 'string' },
        config: { type: 'string' },
        engine: { type: 'string', default: 'native' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (error) {
    process.stderr.write(`tickwire signals: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let venue, market, wanted: Set<SignalName> | undefined, config: Partial<SignalConfig> | undefined;
  try {
    venue = parseVenueOption(values.venue);
    market = parseMarketOption(values.market);
    if (values.signals !== undefined) {
      const names = values.signals.split(',').map((s) => s.trim());
      const unknown = names.filter((n) => !(n in SIGNAL_RECORD_TYPES));
      if (unknown.length > 0) {
        throw new Error(
          `unknown signal(s) ${unknown.join(', ')}; known: ${Object.keys(SIGNAL_RECORD_TYPES).join(', ')}`,
        );
      }
      wanted = new Set(names as SignalName[]);
    }
    if (values.config !== undefined) config = JSON.parse(readFileSync(values.config, 'utf8')) as Partial<SignalConfig>;
    if (values.engine !== 'native' && values.engine !== 'ts') throw new Error('--engine must be native or ts');
  } catch (error) {
    process.stderr.write(`tickwire signals: ${(error as Error).message}\n`);
    return 2;
  }

  const out = new LineWriter(process.stdout);
  const emit = (s: SignalRecord): void => {
    if (!wanted || wanted.has(s.signal)) out.write(JSON.stringify(s));
  };
  let push: (frame: ReturnType<typeof frameFromLine>) => void;
  let flush: () => void = () => {};
  let close: () => void = () => {};
  if (values.engine === 'native') {
    const engine = new Engine({ mode: 'inline', pipeline: 'normalize', signalConfig: config });
    const records = new RecordDecoder();
    const signals = new SignalDecoder(records);
    const stream = new EngineStream(engine, (record) => {
      if (record.type === 16) records.decode(record);
      const signal = signals.decode(record);
      if (signal) emit(signal);
    });
    push = (frame) =>
      stream.push(
        {
          type: FRAME_RECORD_TYPE,
          venue: venueCode(frame.venue),
          flags: marketCode(frame.market),
          recvNs: BigInt(frame.recvTs) * 1000n,
        },
        frame.raw,
      );
    flush = () => stream.pump();
    close = () => engine.close();
  } else {
    const pipeline = new ReferencePipeline({ signalConfig: config });
    push = (frame) => {
      for (const s of pipeline.push(frame.venue, frame.raw, frame.recvTs, frame.market)) emit(s);
    };
  }
  let lineNo = 0;
  try {
    for await (const line of byteLines(process.stdin)) {
      lineNo++;
      try {
        push(frameFromLine(line, venue, market));
      } catch (error) {
        if (!(error instanceof InputLineError)) throw error;
        process.stderr.write(`tickwire signals: line ${lineNo}: ${error.message}\n`);
      }
      if (out.pendingLines() > 4096) {
        flush();
        await out.flush();
      }
    }
    flush();
    await out.flush(true);
  } finally {
    close();
  }
  return 0;
}
