// `tickwire <command>`: each command lives in its own module under src/cli and
// is loaded only when asked for, so a broken optional piece cannot stop the rest.
type CommandModule = { run(argv: string[]): Promise<number> };

const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  start: { summary: 'run the whole product on embedded defaults', load: async () => import('./start.js') },
  run: { summary: 'run the pipeline from a config file', load: async () => import('./run.js') },
  capture: {
    summary: "publish the venues' raw frames to Kafka for `run --source kafka`",
    load: async () => import('./capture.js'),
  },
  config: { summary: 'print the effective configuration', load: async () => import('./config.js') },
  normalize: { summary: 'raw frames → canonical events (JSON Lines)', load: async () => import('./normalize.js') },
  book: { summary: 'raw frames → order-book verdicts and top of book', load: async () => import('./book.js') },
  signals: { summary: 'raw frames → signal records (JSON Lines)', load: async () => import('./signals.js') },
  kafka: { summary: 'start|stop|status the local Apache Kafka broker', load: async () => import('./kafka.js') },
  simulate: { summary: 'local exchange simulator with fault injection', load: async () => import('./simulate.js') },
  record: { summary: 'record venue feeds to a capture file (JSON Lines)', load: async () => import('./record.js') },
  replay: { summary: 'replay a capture through the native pipeline', load: async () => import('./replay.js') },
  consume: { summary: 'print decoded signals and ticks from Kafka', load: async () => import('./consume.js') },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: tickwire <command> [options]\n\ncommands:\n${lines.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`tickwire: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  return (await command.load()).run(rest);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`tickwire: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
