// `tickwire replay --in capture.jsonl[.gz] [--speed 1|10|max] [--out FILE]`:
// feeds a capture through the native normalize pipeline (inline engine,
// EngineStream, RecordDecoder) and prints canonical events as JSON Lines. At
// `max` it runs flat out (catch-up / benchmark); at 1, 10, … it paces frames
// by their recvTs. The output depends only on the capture: replaying it twice
// gives identical lines.
import { createReadStream, createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { createGunzip } from 'node:zlib';
import type { Readable, Writable } from 'node:stream';
import { DEFAULT_MAX_FRAME_BYTES, marketCode, venueCode, type CanonicalEvent } from '../events';
import { Engine } from '../engine/engine';
import { FRAME_RECORD_TYPE, RecordDecoder } from '../engine/records';
import { EngineStream } from '../engine/stream';
import { frameFromLine, InputLineError, type InputFrame } from './frames';
import { byteLines, LineWriter } from './lines';

const USAGE = `usage: tickwire replay --in FILE[.jsonl|.jsonl.gz] [--speed 1|10|max|N] [--out FILE]
Replays capture records through the native normalizer; canonical events as JSON Lines.`;

function parseSpeed(text: string): number {
  if (text === 'max') return Infinity;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--speed must be max or a positive number, got '${text}'`);
  return n;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function run(argv: string[]): Promise<number> {
  let o;
  try {
    o = parseArgs({
      args: argv,
      options: {
        in: { type: 'string', short: 'i' },
        speed: { type: 'string', default: 'max' },
        out: { type: 'string', short: 'o' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (error) {
    process.stderr.write(`tickwire replay: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (o.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let speed: number;
  try {
    if (!o.in) throw new Error('--in FILE is required');
    speed = parseSpeed(o.speed ?? 'max');
  } catch (error) {
    process.stderr.write(`tickwire replay: ${(error as Error).message}\n`);
    return 2;
  }

  let input: Readable = createReadStream(o.in!);
  if (o.in!.endsWith('.gz')) input = input.pipe(createGunzip());
  const outStream: Writable = o.out ? createWriteStream(o.out) : process.stdout;
  const out = new LineWriter(outStream);
  const maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
  const engine = new Engine({
    mode: 'inline',
    pipeline: 'normalize',
    maxFrameBytes,
    inputCapacity: 1 << 25,
    outputCapacity: 1 << 25,
  });
  const decoder = new RecordDecoder();
  const stream = new EngineStream(engine, (record) => {
    const event: CanonicalEvent | null = decoder.decode(record);
    if (event !== null) out.write(JSON.stringify(event));
  });
  let lineNo = 0;
  let badLines = 0;
  let firstTs: number | undefined;
  const started = performance.now();
  try {
    for await (const line of byteLines(input)) {
      lineNo++;
      let frame: InputFrame;
      try {
        frame = frameFromLine(line, undefined, undefined);
      } catch (error) {
        if (!(error instanceof InputLineError)) throw error;
        badLines++;
        process.stderr.write(`tickwire replay: line ${lineNo}: ${error.message}\n`);
        continue;
      }
      if (speed !== Infinity) {
        firstTs ??= frame.recvTs;
        const wait = (frame.recvTs - firstTs) / 1000 / speed - (performance.now() - started);
        if (wait > 2) {
          stream.pump();
          await out.flush(true);
          await sleep(wait);
        }
      }
      const raw = frame.raw.byteLength > maxFrameBytes ? frame.raw.subarray(0, maxFrameBytes + 1) : frame.raw;
      stream.push(
        {
          type: FRAME_RECORD_TYPE,
          venue: venueCode(frame.venue),
          flags: marketCode(frame.market),
          recvNs: BigInt(frame.recvTs) * 1000n,
        },
        raw,
      );
      if (out.pendingLines() > 4096) {
        stream.pump();
        await out.flush();
      }
    }
    stream.pump();
    await out.flush(true);
  } finally {
    engine.close();
    if (o.out) await new Promise<void>((resolve) => outStream.end(() => resolve()));
  }
  if (badLines > 0) {
    process.stderr.write(`tickwire replay: ${badLines} of ${lineNo} input lines were not valid capture records\n`);
    return 1;
  }
  return 0;
}
