// `tickwire normalize [--venue V] [--market spot|perp] [--engine native|ts]`:
// JSON Lines in (raw frames of V, or capture records), canonical events out,
// in input order. The native engine is the real path: frames go through the
// input ring, the engine, and back out of the output ring.
import { parseArgs } from 'node:util';
import { DEFAULT_MAX_FRAME_BYTES, marketCode, venueCode, type CanonicalEvent } from '../events';
import { Engine } from '../engine/engine';
import { FRAME_RECORD_TYPE, RecordDecoder } from '../engine/records';
import { EngineStream } from '../engine/stream';
import { ReferenceNormalizer } from '../reference';
import { frameFromLine, InputLineError, parseMarketOption, parseVenueOption, type InputFrame } from './frames';
import { byteLines, LineWriter } from './lines';

const USAGE = `usage: tickwire normalize [--venue V] [--market spot|perp] [--engine native|ts] [--max-frame-bytes N]
Reads JSON Lines on stdin: raw frames of venue V with --venue, otherwise capture
records {"venue","raw","recvTs"}; writes canonical events as JSON Lines.`;

export async function run(argv: string[]): Promise<number> {
  let options;
  try {
    options = parseArgs({
      args: argv,
      options: {
        venue: { type: 'string' },
        market: { type: 'string' },
        engine: { type: 'string', default: 'native' },
        'max-frame-bytes': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (error) {
    process.stderr.write(`tickwire normalize: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let venue, market;
  try {
    venue = parseVenueOption(options.venue);
    market = parseMarketOption(options.market);
  } catch (error) {
    process.stderr.write(`tickwire normalize: ${(error as Error).message}\n`);
    return 2;
  }
  const engineKind = options.engine;
  if (engineKind !== 'native' && engineKind !== 'ts') {
    process.stderr.write(`tickwire normalize: --engine must be native or ts, got '${engineKind}'\n`);
    return 2;
  }
  const maxFrameBytes = Number(options['max-frame-bytes'] ?? DEFAULT_MAX_FRAME_BYTES);
  if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 1 || maxFrameBytes > 256 * 1024 * 1024) {
    process.stderr.write('tickwire normalize: --max-frame-bytes must be an integer from 1 to 268435456\n');
    return 2;
  }

  const out = new LineWriter(process.stdout);
  const emit = (event: CanonicalEvent): void => out.write(JSON.stringify(event));
  const sink = engineKind === 'native' ? nativeSink(maxFrameBytes, emit) : referenceSink(maxFrameBytes, emit);
  let lineNo = 0;
  let badLines = 0;
  try {
    for await (const line of byteLines(process.stdin)) {
      lineNo++;
      let frame: InputFrame;
      try {
        frame = frameFromLine(line, venue, market);
      } catch (error) {
        if (!(error instanceof InputLineError)) throw error;
        badLines++;
        process.stderr.write(`tickwire normalize: line ${lineNo}: ${error.message}\n`);
        continue;
      }
      sink.push(frame);
      if (out.pendingLines() > 4096) {
        sink.flush();
        await out.flush();
      }
    }
    sink.flush();
    await out.flush(true);
  } finally {
    sink.close();
  }
  if (badLines > 0) {
    process.stderr.write(`tickwire normalize: ${badLines} of ${lineNo} input lines were not valid capture records\n`);
    return 1;
  }
  return 0;
}

interface FrameSink {
  push(frame: InputFrame): void;
  flush(): void;
  close(): void;
}

function nativeSink(maxFrameBytes: number, emit: (event: CanonicalEvent) => void): FrameSink {
  // The input ring holds any frame the engine accepts, plus one byte: a longer
  // frame is cut to that, which the engine still rejects as `oversized`.
  const inputCapacity = ceilPowerOfTwo(Math.max(1 << 20, 4 * (maxFrameBytes + 64)));
  const engine = new Engine({
    mode: 'inline',
    pipeline: 'normalize',
    maxFrameBytes,
    inputCapacity,
    outputCapacity: ceilPowerOfTwo(Math.max(1 << 22, 8 * maxFrameBytes)),
  });
  const decoder = new RecordDecoder();
  const stream = new EngineStream(engine, (record) => {
    const event = decoder.decode(record);
    if (event !== null) emit(event);
  });
  return {
    push(frame) {
      const raw = frame.raw.byteLength > maxFrameBytes ? frame.raw.subarray(0, maxFrameBytes + 1) : frame.raw;
      const meta = {
        type: FRAME_RECORD_TYPE,
        venue: venueCode(frame.venue),
        flags: marketCode(frame.market),
        recvNs: BigInt(frame.recvTs) * 1000n,
      };
      stream.push(meta, raw);
    },
    flush: () => stream.pump(),
    close: () => engine.close(),
  };
}

function referenceSink(maxFrameBytes: number, emit: (event: CanonicalEvent) => void): FrameSink {
  const reference = new ReferenceNormalizer({ maxFrameBytes });
  return {
    push(frame) {
      for (const event of reference.normalize(frame.venue, frame.raw, frame.recvTs, frame.market)) emit(event);
    },
    flush() {},
    close() {},
  };
}

function ceilPowerOfTwo(n: number): number {
  return 2 ** Math.ceil(Math.log2(n));
}
