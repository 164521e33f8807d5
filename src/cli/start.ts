// `npm start` / `tickwire start`: the whole product on embedded defaults, with
// no setup: a local Kafka broker on 127.0.0.1:9092 (started when none answers
// there, stopped again on exit), the simulator for three venues and three
// symbols, the pipeline, and the live view every second. Without Java it says
// so and prints the signals to stdout instead of publishing them.
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { checkJava, probe, startBroker, stopBroker } from '../kafka/broker';
import { EMBEDDED_SYMBOLS, EMBEDDED_VENUES, STATE_DIR, embeddedConfig } from '../pipeline/embedded';
import { runPipeline } from '../pipeline/run';

const USAGE = `usage: npm start  |  tickwire start [--no-kafka] [--keep-broker]
Runs everything on embedded defaults: a local Kafka broker on 127.0.0.1:9092
(started when none answers there; TICKWIRE_KAFKA_PORT picks another port), the simulator (binance, okx, bybit ×
BTC-USDT, ETH-USDT, SOL-USDT), the pipeline and a live view. Ctrl-C stops it.
  --no-kafka      print signals to stdout instead of publishing them
  --keep-broker   leave a broker this command started running on exit
KAFKA_BROKERS=host:port uses that cluster instead of a local broker.`;

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

export async function run(argv: string[] = []): Promise<number> {
  let o;
  try {
    o = parseArgs({
      args: argv,
      options: {
        'no-kafka': { type: 'boolean' },
        'keep-broker': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (e) {
    process.stderr.write(`tickwire start: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (o.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const say = (line: string): void => void process.stderr.write(`tickwire start: ${line}\n`);
  const config = embeddedConfig();
  if (o['no-kafka']) config.sink.output = 'stdout';

  let startedBroker = false;
  const kafkaPort = Number(process.env['TICKWIRE_KAFKA_PORT'] ?? 9092);
  if (!Number.isInteger(kafkaPort) || kafkaPort < 1 || kafkaPort > 65534) {
    say(`TICKWIRE_KAFKA_PORT must be a port number, got '${process.env['TICKWIRE_KAFKA_PORT']}'`);
    return 2;
  }
  const brokerOpts = { port: kafkaPort, dir: join(STATE_DIR, 'kafka') };
  if (config.sink.output === 'kafka' && process.env['KAFKA_BROKERS'] === undefined) {
    config.sink.brokers = [`127.0.0.1:${kafkaPort}`];
    const state = await probe('127.0.0.1', kafkaPort);
    if (state === 'kafka') say(`using the Kafka broker already running on 127.0.0.1:${kafkaPort}`);
    else {
      try {
        checkJava();
      } catch (e) {
        say(`${(e as Error).message}`);
        say('running without Kafka: signals are printed to stdout, the live view goes to stderr');
        config.sink.output = 'stdout';
      }
      if (config.sink.output === 'kafka') {
        say(
          `starting a local Kafka broker on 127.0.0.1:${kafkaPort} (the first run fetches its jars from Maven Central)`,
        );
        try {
          const r = await startBroker({ ...brokerOpts, log: say });
          startedBroker = !r.alreadyRunning;
          say(`Kafka broker ready in ${(r.readyMs / 1000).toFixed(1)} s (log: ${r.logFile})`);
        } catch (e) {
          say(`cannot start the local Kafka broker: ${(e as Error).message}`);
          return 1;
        }
      }
    }
  }
  const obs = config.observability;
  if (obs.port > 0 && !(await portFree(obs.host, obs.port))) {
    say(`port ${obs.port} is taken: serving metrics on an ephemeral port instead`);
    obs.port = 0;
  }
  // With the view on a terminal, logs would tear it: they go to a file then.
  const viewOut = config.sink.output === 'kafka' ? process.stdout : process.stderr;
  const logFile = join(STATE_DIR, 'tickwire.log');
  let log;
  if (viewOut.isTTY) {
    mkdirSync(STATE_DIR, { recursive: true });
    log = pino({ level: obs.logLevel }, pino.destination({ dest: logFile, mkdir: true, sync: false }));
  } else {
    log = pino({ level: 'warn' }, pino.destination(2));
  }
  try {
    const code = await runPipeline(config, {
      log,
      viewOut,
      onStarted: (info) => {
        say(
          [
            `running: simulator on 127.0.0.1:${info.simulatorPort}, ${EMBEDDED_VENUES.join(', ')} × ${EMBEDDED_SYMBOLS.join(', ')}`,
            info.metricsUrl !== undefined ? `metrics ${info.metricsUrl}/metrics, health ${info.metricsUrl}/readyz` : '',
            config.sink.output === 'kafka'
              ? `publishing to Kafka ${config.sink.brokers.join(',')} (topics ${config.sink.prefix}ticks, ${config.sink.prefix}signals.*); try \`npx tickwire consume --signal bbo\``
              : '',
            viewOut.isTTY ? `logs in ${logFile}` : '',
            'Ctrl-C stops it',
          ]
            .filter(Boolean)
            .join('\n  '),
        );
      },
    });
    say('stopped cleanly');
    return code;
  } catch (e) {
    say((e as Error).message);
    return 1;
  } finally {
    if (startedBroker && !o['keep-broker']) {
      say('stopping the local Kafka broker');
      await stopBroker(brokerOpts);
    }
  }
}
