// `tickwire capture --config tickwire.yaml`: the venue connectors publishing
// every raw frame to `<prefix>raw.<venue>` (docs/capture.md); `tickwire run
// --source kafka` computes from those topics.
import { parseArgs } from 'node:util';
import { runCapture } from '../capture/capture';
import { ConfigError, loadConfig, redactConfig, type RunConfig } from '../pipeline/config';
import { parseDuration } from './record';

const USAGE = `usage: tickwire capture --config FILE [--duration 30s] [--no-resync] [--print-config]
Runs the venue connectors of FILE (the \`tickwire run\` format; docs/operations.md)
and publishes every frame, with its receive time, to <sink.prefix>raw.<venue>
until SIGINT/SIGTERM (docs/capture.md). \`tickwire run --source kafka\` reads them.
  --duration D      stop after D (30s, 2m, …)
  --no-resync       keep no books here: book gaps are then not repaired in the stream
  --print-config    print the effective config (credentials hidden) and exit`;

export async function run(argv: string[]): Promise<number> {
  let o;
  try {
    o = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c' },
        duration: { type: 'string' },
        'no-resync': { type: 'boolean' },
        'print-config': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (e) {
    process.stderr.write(`tickwire capture: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (o.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let config: RunConfig;
  let durationMs: number | undefined;
  try {
    if (o.config === undefined) throw new ConfigError(['--config FILE is required (see examples/)']);
    config = loadConfig(o.config);
    if (config.sink.output !== 'kafka') throw new ConfigError(['sink.output: capture needs kafka']);
    if (config.source.type !== 'venues') throw new ConfigError(['source.type: capture reads the venues themselves']);
    if (o.duration !== undefined) durationMs = parseDuration(o.duration);
  } catch (e) {
    process.stderr.write(`tickwire capture: ${(e as Error).message}\n`);
    return 2;
  }
  if (o['print-config']) {
    process.stdout.write(`${JSON.stringify(redactConfig(config), null, 2)}\n`);
    return 0;
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    const until = durationMs === undefined ? undefined : new Promise<void>((r) => (timer = setTimeout(r, durationMs)));
    return await runCapture(config, {
      books: o['no-resync'] !== true,
      handleSignals: true,
      ...(until !== undefined ? { until: until } : {}),
    });
  } catch (e) {
    process.stderr.write(`tickwire capture: ${(e as Error).message}\n`);
    return 1;
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
