// `tickwire run --config tickwire.yaml`: the product from a config file
// (docs/operations.md). `tickwire config --print` shows what it would run.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, parseShard, redactConfig, type RunConfig } from '../pipeline/config';
import { runPipeline } from '../pipeline/run';

const USAGE = `usage: tickwire run --config FILE [--shard i/n] [--view] [--print-config]
Runs the pipeline described by FILE (YAML or JSON; docs/operations.md) until
SIGINT/SIGTERM: connectors → native engine (normalize, books, signals) → Kafka.
Environment overrides: KAFKA_BROKERS, TICKWIRE_METRICS_PORT, TICKWIRE_LOG_LEVEL,
TICKWIRE_OUTPUT (kafka|stdout), TICKWIRE_SHARD, … (docs/operations.md).
  --shard i/n       handle only this share of the instruments (overrides the file)
  --view            draw the live terminal view every second
  --print-config    print the effective config (credentials hidden) and exit`;

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
    config = loadConfig(o.config);
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
