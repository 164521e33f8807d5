// `tickwire run --config tickwire.yaml`: the product from a config file
// (docs/operations.md). `tickwire config --print` shows what it would run.
import { parseArgs } from 'node:util';
import {
  applyEnv,
  ConfigError,
  parseShard,
  readConfigFile,
  redactConfig,
  validateConfig,
  type RunConfig,
} from '../pipeline/config';
import { runPipeline } from '../pipeline/run';

const USAGE = `usage: tickwire run --config FILE [--shard i/n] [--view] [--print-config]
                    [--source venues|kafka] [--group G] [--from earliest|latest]
Runs the pipeline described by FILE (YAML or JSON; docs/operations.md) until
SIGINT/SIGTERM: connectors → native engine (normalize, books, signals) → Kafka.
Environment overrides: KAFKA_BROKERS, TICKWIRE_METRICS_PORT, TICKWIRE_LOG_LEVEL,
TICKWIRE_OUTPUT (kafka|stdout), TICKWIRE_SHARD, … (docs/operations.md).
  --shard i/n       handle only this share of the instruments (overrides the file)
  --view            draw the live terminal view every second
  --print-config    print the effective config (credentials hidden) and exit
  --source kafka    read the raw topics \`tickwire capture\` writes instead of the venues
                    (overrides source.type; docs/capture.md)
  --group G         the Kafka source's consumer group (source.groupId)
  --from earliest|latest  where a group without committed offsets starts (source.from)`;

export async function run(argv: string[]): Promise<number> {
  let o;
  try {
    o = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c' },
        shard: { type: 'string' },
        view: { type: 'boolean' },
        'print-config': { type: 'boolean' },
        source: { type: 'string' },
        group: { type: 'string' },
        from: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (e) {
    process.stderr.write(`tickwire run: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (o.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let config: RunConfig;
  try {
    if (o.config === undefined) throw new ConfigError(['--config FILE is required (see examples/)']);
    const doc = readConfigFile(o.config);
    // The source flags go into the document before validation, so they are checked with the rest.
    const source: Record<string, unknown> = {};
    if (o.source !== undefined) source['type'] = o.source;
    if (o.group !== undefined) source['groupId'] = o.group;
    if (o.from !== undefined) source['from'] = o.from;
    const withSource =
      Object.keys(source).length > 0 && typeof doc === 'object' && doc !== null && !Array.isArray(doc)
        ? { ...doc, source: { ...((doc as Record<string, unknown>)['source'] as object | undefined), ...source } }
        : doc;
    config = validateConfig(applyEnv(withSource));
    if (o.shard !== undefined) {
      const shard = parseShard(o.shard);
      if (shard === undefined) throw new ConfigError([`--shard: must be i/n with 0 ≤ i < n, got '${o.shard}'`]);
      config.shard = shard;
    }
    if (o.view) config.observability.viewIntervalMs = 1000;
  } catch (e) {
    process.stderr.write(`tickwire run: ${(e as Error).message}\n`);
    return 2;
  }
  if (o['print-config']) {
    process.stdout.write(`${JSON.stringify(redactConfig(config), null, 2)}\n`);
    return 0;
  }
  try {
    return await runPipeline(config);
  } catch (e) {
    process.stderr.write(`tickwire run: ${(e as Error).message}\n`);
    return 1;
  }
}
