// `tickwire kafka start|stop|status`: the local single-node Kafka broker.
// See docs/kafka.md.
import { parseArgs } from 'node:util';
import { relative } from 'node:path';
import { brokerStatus, KAFKA_VERSION, startBroker, stopBroker, type BrokerOptions } from '../kafka/broker';

const USAGE = `usage: tickwire kafka <start|stop|status> [--port N] [--dir PATH]

  start    start a local Apache Kafka ${KAFKA_VERSION} broker (KRaft, 127.0.0.1) and wait until it answers
  stop     stop the broker started from --dir
  status   show whether it runs (exit 0 running, 3 not running)

  --port N     PLAINTEXT port (default 9092; the controller uses N+1)
  --dir PATH   data and log directory (default .tickwire/kafka)

Use an existing cluster instead with KAFKA_BROKERS=host:port[,host:port] or --brokers.`;

function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel !== '' && !rel.startsWith('..') ? rel : path;
}

function say(line: string): void {
  process.stdout.write(`kafka: ${line}\n`);
}

function fail(line: string): void {
  process.stderr.write(`kafka: ${line}\n`);
}

/** Runs `tickwire kafka ...`; `argv` is what follows `kafka`. Returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  let values: { port?: string; dir?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        port: { type: 'string' },
        dir: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    fail(e instanceof Error ? e.message : String(e));
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [command, ...extra] = positionals;
  if (command === undefined || extra.length > 0 || !['start', 'stop', 'status'].includes(command)) {
    fail(command === undefined ? 'missing subcommand' : `unexpected argument(s): ${positionals.join(' ')}`);
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }

  const opts: BrokerOptions = { log: say };
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port < 1 || port > 65534) {
      fail(`--port must be an integer in 1..65534, got ${values.port}`);
      return 2;
    }
    opts.port = port;
  }
  if (values.dir !== undefined) opts.dir = values.dir;

  try {
    switch (command) {
      case 'start': {
        const r = await startBroker(opts);
        const where = `${r.host}:${r.port}`;
        if (r.alreadyRunning) {
          say(
            `a broker is already running on ${where}` +
              (r.pid !== null ? ` (pid ${r.pid})` : ' (not started from this dir)') +
              '; nothing to do',
          );
        } else {
          say(`Kafka ${KAFKA_VERSION} ready on ${where} (pid ${r.pid ?? '?'}, ${(r.readyMs / 1000).toFixed(1)} s)`);
          say(`log: ${shown(r.logFile)}`);
          say(`use it with KAFKA_BROKERS=${where}`);
        }
        return 0;
      }
      case 'stop': {
        const r = await stopBroker(opts);
        say(r.message);
        return 0;
      }
      default: {
        const s = await brokerStatus(opts);
        const where = `${s.host}:${s.port}`;
        if (s.running) {
          const pid = s.pid !== null ? `pid ${s.pid}` : 'not started from this dir';
          say(`running (${pid}), ${where} ${s.reachable ? 'reachable' : 'NOT reachable (starting, or another port?)'}`);
          say(`log: ${shown(s.logFile)}`);
          return 0;
        }
        say(`not running (${where}, dir ${shown(s.dir)})${s.stalePidFile ? '; stale pid file' : ''}`);
        return 3;
      }
    }
  } catch (e) {
    fail(e instanceof Error ? e.message : String(e));
    return 1;
  }
}
