// `tickwire record`: connects the venue connectors (FeedManager) and writes
// every frame they deliver as a capture record {"venue","raw","recvTs","market"}
// (recvTs in µs; raw = frame text) — the JSON Lines `tickwire normalize` and
// `tickwire replay` read. `.gz` output is gzip-compressed.
import { createWriteStream, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createGzip } from 'node:zlib';
import type { Writable } from 'node:stream';
import { isVenueId, venueFromCode, MARKETS, type VenueId } from '../events';
import type { RecordMeta } from '../engine/ring';
import { FeedManager, parseFeedConfig, simulatorVenueUrls, type FeedManagerConfig } from '../venues/manager';
import { FEED_CHANNELS, FLAG_BACKFILLED, type FeedChannel, type FrameSink, type Logger } from '../venues/types';

const USAGE = `usage: tickwire record (--venues V[,V…] --symbols S[,S…] | --config FILE) --out FILE[.jsonl|.jsonl.gz]
         [--channels trades,book,bbo,mark] [--simulator http://127.0.0.1:PORT]
         [--ws-base VENUE=URL]… [--rest-base VENUE=URL]… [--duration 30s]
Records the venues' frames as capture records {"venue","raw","recvTs","market"}
until --duration has passed or SIGINT/SIGTERM.`;

/** `30s`, `500ms`, `2m`, `1h`, or plain seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new Error(`bad duration '${text}' (e.g. 30s, 500ms, 2m)`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const ms = unit === 'ms' ? n : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n * 3_600_000;
  if (!(ms > 0) || ms > 7 * 24 * 3600 * 1000) throw new Error(`duration '${text}' out of range`);
  return ms;
}

function list(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function overrides(values: string[] | undefined, flag: string): Map<VenueId, string> {
  const out = new Map<VenueId, string>();
  for (const v of values ?? []) {
    const eq = v.indexOf('=');
    const venue = v.slice(0, eq);
    if (eq <= 0 || !isVenueId(venue)) throw new Error(`${flag} takes VENUE=URL, got '${v}'`);
    out.set(venue, v.slice(eq + 1));
  }
  return out;
}

/** Capture lines buffered between flushes; the sink refuses frames beyond `maxBytes` (counted as drops). */
class CaptureSink implements FrameSink {
  private lines: string[] = [];
  private bytes = 0;
  frames = 0;
  constructor(private readonly maxBytes = 256 * 1024 * 1024) {}

  write(meta: RecordMeta, payload: Uint8Array): boolean {
    const venue = venueFromCode(meta.venue ?? 0);
    if (venue === undefined) return true;
    const flags = meta.flags ?? 0;
    const raw = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
    const line =
      `{"venue":"${venue}","raw":${JSON.stringify(raw)},"recvTs":${(meta.recvNs ?? 0n) / 1000n},` +
      `"market":"${MARKETS[flags & 1]}"${flags & FLAG_BACKFILLED ? ',"backfilled":true' : ''}}`;
    if (this.bytes + line.length > this.maxBytes) return false;
    this.lines.push(line);
    this.bytes += line.length + 1;
    this.frames++;
    return true;
  }

  take(): string {
    if (this.lines.length === 0) return '';
    const text = this.lines.join('\n') + '\n';
    this.lines = [];
    this.bytes = 0;
    return text;
  }
}

function stderrLogger(): Logger {
  const line = (level: string) => (obj: object, msg?: string) => {
    process.stderr.write(`tickwire record: ${level}: ${msg ?? ''} ${JSON.stringify(obj)}\n`);
  };
  return { debug: () => undefined, info: () => undefined, warn: line('warn'), error: line('error') };
}

export async function run(argv: string[]): Promise<number> {
  let o;
  try {
    o = parseArgs({
      args: argv,
      options: {
        venues: { type: 'string' },
        symbols: { type: 'string' },
        channels: { type: 'string' },
        config: { type: 'string' },
        simulator: { type: 'string' },
        'ws-base': { type: 'string', multiple: true },
        'rest-base': { type: 'string', multiple: true },
        out: { type: 'string', short: 'o' },
        duration: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (error) {
    process.stderr.write(`tickwire record: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (o.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let config: FeedManagerConfig;
  let durationMs: number | undefined;
  try {
    if (!o.out) throw new Error('--out FILE is required');
    if (o.config !== undefined) {
      config = parseFeedConfig(JSON.parse(readFileSync(o.config, 'utf8')));
    } else {
      const venues = list(o.venues);
      const symbols = list(o.symbols);
      if (venues.length === 0 || symbols.length === 0) throw new Error('give --venues and --symbols, or --config FILE');
      const channels = o.channels === undefined ? undefined : list(o.channels);
      for (const c of channels ?? []) {
        if (!(FEED_CHANNELS as readonly string[]).includes(c))
          throw new Error(`unknown channel '${c}' (known: ${FEED_CHANNELS.join(', ')})`);
      }
      const raw: Record<string, unknown> = {};
      for (const v of venues) raw[v] = { symbols, ...(channels ? { channels: channels as FeedChannel[] } : {}) };
      config = parseFeedConfig({ venues: raw });
    }
    const ws = overrides(o['ws-base'], '--ws-base');
    const rest = overrides(o['rest-base'], '--rest-base');
    for (const [name, vc] of Object.entries(config.venues)) {
      const venue = name as VenueId;
      if (!vc) continue;
      if (o.simulator !== undefined) Object.assign(vc, simulatorVenueUrls(o.simulator, venue));
      if (ws.has(venue)) vc.wsUrl = ws.get(venue);
      if (rest.has(venue)) vc.restUrl = rest.get(venue);
    }
    if (o.duration !== undefined) durationMs = parseDuration(o.duration);
  } catch (error) {
    process.stderr.write(`tickwire record: ${(error as Error).message}\n`);
    return 2;
  }

  const file = createWriteStream(o.out!);
  let out: Writable = file;
  if (o.out!.endsWith('.gz')) {
    const gz = createGzip();
    gz.pipe(file);
    out = gz;
  }
  const fileError = new Promise<Error>((resolve) => {
    file.once('error', resolve);
    out.once('error', resolve);
  });
  const sink = new CaptureSink();
  const log = stderrLogger();
  const manager = new FeedManager(config, { sink, logger: log });
  let writing = Promise.resolve();
  const flush = (): void => {
    const text = sink.take();
    if (text === '') return;
    writing = writing.then(
      () =>
        new Promise<void>((resolve) => {
          if (out.write(text)) resolve();
          else out.once('drain', () => resolve());
        }),
    );
  };
  const flusher = setInterval(flush, 50);
  let stop: () => void = () => undefined;
  const stopped = new Promise<string>((resolve) => {
    stop = () => resolve('signal');
  });
  const onSignal = (): void => stop();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let timer: NodeJS.Timeout | undefined;
  const done =
    durationMs === undefined
      ? stopped
      : Promise.race([stopped, new Promise<string>((r) => (timer = setTimeout(() => r('duration'), durationMs)))]);
  let code = 0;
  try {
    await Promise.race([
      manager.start().then(() => done),
      fileError.then((e) => {
        throw e;
      }),
    ]);
  } catch (error) {
    process.stderr.write(`tickwire record: ${(error as Error).message}\n`);
    code = 1;
  } finally {
    if (timer) clearTimeout(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await manager.close();
    clearInterval(flusher);
    flush();
    await writing;
    await new Promise<void>((resolve) => {
      file.once('close', () => resolve());
      out.end();
    });
  }
  const counters = manager.counters();
  process.stderr.write(
    `tickwire record: ${sink.frames} frames to ${o.out} (${Object.entries(counters)
      .filter(([k]) => k !== 'total')
      .map(([k, c]) => `${k}: ${c?.frames ?? 0} frames, ${c?.reconnects ?? 0} reconnects, ${c?.drops ?? 0} drops`)
      .join('; ')})\n`,
  );
  return code;
}
