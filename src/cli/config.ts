// `tickwire config --print [--config FILE]`: the effective configuration (file,
// then environment overrides, then defaults), credentials hidden; or every
// problem with its path when the file is invalid.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, redactConfig } from '../pipeline/config';
import { embeddedConfig } from '../pipeline/embedded';

const USAGE = `usage: tickwire config --print [--config FILE]
Prints the effective configuration as JSON (without --config: the embedded
defaults \`npm start\` runs). Exits 2 listing every problem when FILE is invalid.`;

export async function run(argv: string[]): Promise<number> {
  let o;
  try {
    o = parseArgs({
      args: argv,
      options: {
        print: { type: 'boolean' },
        config: { type: 'string', short: 'c' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (e) {
    process.stderr.write(`tickwire config: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (o.help || !o.print) {
    (o.help ? process.stdout : process.stderr).write(`${USAGE}\n`);
    return o.help ? 0 : 2;
  }
  try {
    const config = o.config !== undefined ? loadConfig(o.config) : embeddedConfig();
    process.stdout.write(`${JSON.stringify(redactConfig(config), null, 2)}\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`tickwire config: ${e.message}\n`);
    return 2;
  }
}
