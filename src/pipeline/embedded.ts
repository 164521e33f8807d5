// The embedded defaults `npm start` runs: the in-process simulator for three
// venues and three symbols, a local broker, metrics on 127.0.0.1:9464 and the
// live view. Environment overrides apply as for a config file.
import { join } from 'node:path';
import { applyEnv, validateConfig, type RunConfig } from './config';

export const EMBEDDED_VENUES = ['binance', 'okx', 'bybit'] as const;
export const EMBEDDED_SYMBOLS = ['BTC-USDT', 'ETH-USDT', 'SOL-USDT'] as const;
/** Broker data, journal and logs of `npm start`, under the working directory. */
export const STATE_DIR = '.tickwire';

export function embeddedConfig(env: NodeJS.ProcessEnv = process.env): RunConfig {
  const symbols = [...EMBEDDED_SYMBOLS];
  return validateConfig(
    applyEnv(
      {
        venues: Object.fromEntries(EMBEDDED_VENUES.map((v) => [v, { symbols }])),
        simulator: { enabled: true, rate: 300, seed: 7 },
        sink: { journal: { dir: join(STATE_DIR, 'journal') } },
        observability: { viewIntervalMs: 1000 },
      },
      env,
    ),
  );
}
