// `tickwire consume --signal bbo [--symbol BTC-USDT] [--from earliest]`: prints
// decoded records (both encodings) as JSON lines. docs/sink.md.
import { parseArgs } from 'node:util';
import { subscribe, type From, type Message, type Subscription } from '../consumer';
import { DEFAULT_PREFIX } from '../sink/topics';

const USAGE = `usage: tickwire consume (--signal NAME | --stream NAME | --schema NAME)... [options]

  --signal NAME     a signal kind (topic <prefix>signals.NAME): bbo, depth_imbalance, trade_stats,
                    ema, ofi, bar, nbbo, basis; repeatable
  --stream NAME     ticks | status | metrics | raw.<venue> | signals.<kind>; repeatable
  --schema NAME     only these schemas (e.g. tick.trade); alone, also picks the topic
  --symbol SYM      only this symbol (repeatable or comma-separated)
  --venue VENUE     only this venue (repeatable or comma-separated)
  --from WHERE      latest (default) | earliest | an ISO time | ms since epoch
  --group ID        consumer group (default: a fresh one)
  --max N           exit after N records
  --idle-exit MS    exit after MS without a record
  --prefix P        topic prefix (default ${DEFAULT_PREFIX})
  --brokers LIST    host:port[,host:port] (default $KAFKA_BROKERS or 127.0.0.1:9092)`;

function parseFrom(s: string | undefined): From | Error {
  if (s === undefined || s === 'latest') return 'latest';
  if (s === 'earliest' || s === 'beginning') return 'earliest';
  if (/^\d+$/.test(s)) return Number(s);
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? new Error(`--from: expected latest, earliest, an ISO time or ms, got '${s}'`) : d;
}

function toJsonLine(m: Message<unknown>): string {
  return JSON.stringify(
    {
      topic: m.topic,
      partition: m.partition,
      offset: m.offset,
      key: m.key,
      schema: m.schema,
      version: m.version,
      encoding: m.encoding,
      recvNs: m.recvNs,
      emitNs: m.emitNs,
      timestamp: m.timestamp,
      value: m.value,
    },
    (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : Buffer.isBuffer(v) ? v.toString('utf8') : v),
  );
}

/** Where records go: stdout, or a test's collector. */
export interface Output {
  write(line: string): unknown;
}

/** Runs `tickwire consume ...`; returns the exit code. */
export async function run(argv: string[], out: Output = process.stdout): Promise<number> {
  let values: {
    signal?: string[];
    stream?: string[];
    schema?: string[];
    symbol?: string[];
    venue?: string[];
    from?: string;
    group?: string;
    max?: string;
    'idle-exit'?: string;
    prefix?: string;
    brokers?: string;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        signal: { type: 'string', multiple: true },
        stream: { type: 'string', multiple: true },
        schema: { type: 'string', multiple: true },
        symbol: { type: 'string', multiple: true },
        venue: { type: 'string', multiple: true },
        from: { type: 'string' },
        group: { type: 'string' },
        max: { type: 'string' },
        'idle-exit': { type: 'string' },
        prefix: { type: 'string' },
        brokers: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    process.stderr.write(`consume: ${e instanceof Error ? e.message : String(e)}\n${USAGE}\n`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const from = parseFrom(values.from);
  if (from instanceof Error) {
    process.stderr.write(`consume: ${from.message}\n`);
    return 2;
  }
  const max = values.max !== undefined ? Number(values.max) : undefined;
  const idleMs = values['idle-exit'] !== undefined ? Number(values['idle-exit']) : undefined;
  if ((max !== undefined && !(max > 0)) || (idleMs !== undefined && !(idleMs > 0))) {
    process.stderr.write('consume: --max and --idle-exit need positive numbers\n');
    return 2;
  }
  const streams = [...(values.stream ?? []), ...(values.signal ?? []).map((s) => `signals.${s}`)];
  if (streams.length === 0 && (values.schema ?? []).length === 0) {
    process.stderr.write(`consume: give --signal, --stream or --schema\n${USAGE}\n`);
    return 2;
  }
  const brokers = values.brokers ?? process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092';

  let sub: Subscription<unknown>;
  try {
    sub = await subscribe({
      brokers,
      prefix: values.prefix ?? DEFAULT_PREFIX,
      ...(streams.length > 0 ? { streams } : {}),
      ...(values.schema !== undefined ? { schemas: values.schema } : {}),
      ...(values.symbol !== undefined ? { symbols: values.symbol } : {}),
      ...(values.venue !== undefined ? { venues: values.venue } : {}),
      ...(values.group !== undefined ? { groupId: values.group } : {}),
      from,
      onError: (e, w) => process.stderr.write(`consume: skipped ${w.topic}/${w.partition}@${w.offset}: ${e.message}\n`),
    });
  } catch (e) {
    process.stderr.write(`consume: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  const stop = (): void => {
    void sub.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let idle: NodeJS.Timeout | undefined;
  const arm = (): void => {
    if (idleMs === undefined) return;
    if (idle !== undefined) clearTimeout(idle);
    idle = setTimeout(stop, idleMs);
  };
  let n = 0;
  try {
    arm();
    for await (const m of sub) {
      out.write(`${toJsonLine(m)}\n`);
      n++;
      arm();
      if (max !== undefined && n >= max) break;
    }
  } finally {
    if (idle !== undefined) clearTimeout(idle);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await sub.close();
  }
  return 0;
}
