// `tickwire simulate`: starts the local exchange simulator (src/simulator),
// prints one line per venue with its WebSocket and REST base URLs, and runs
// until SIGINT/SIGTERM or --duration. docs/simulator.md has the details.
import { VENUES, isVenueId, type VenueId } from '../events';
import { FAULT_KINDS, parseFaultFlag, type FaultSpec } from '../simulator/faults';
import { MAX_DURATION_MS, MAX_RATE, startSimulator, type SimulatorOptions } from '../simulator/server';

const USAGE = `usage: tickwire simulate [options]

  --venues a,b,…      venues to serve (default: all: ${VENUES.join(',')})
  --symbols A-B,…     canonical symbols, e.g. BTC-USDT,ETH-USDT,BTC-USDT-PERP (default BTC-USDT,ETH-USDT)
  --rate N            total model steps (≈ frames) per second, at most ${MAX_RATE} (default 1000)
  --seed N            PRNG seed (default 1)
  --port N            port on 127.0.0.1, 0 = ephemeral (default 0)
  --duration D        stop after D (e.g. 60s, 500ms, 2m; plain number = seconds)
  --fault SPEC        kind[:probability[:durationMs]][@venue], repeatable; kinds: ${FAULT_KINDS.join(', ')}
  --okx-checksum M    legacy (CRC32, default) or zero
  --clock C           wall (default) or virtual (reproducible timestamps)
`;

export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new Error(`bad duration '${text}' (e.g. 60s, 500ms, 2m)`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const ms = unit === 'ms' ? n : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n * 3_600_000;
  if (!(ms > 0) || ms > MAX_DURATION_MS) throw new Error(`duration must be in (0, ${MAX_DURATION_MS / 3_600_000} h]`);
  return Math.round(ms);
}

function intArg(name: string, text: string, lo: number, hi: number): number {
  const n = Number(text);
  if (!Number.isFinite(n) || !Number.isInteger(n) || n < lo || n > hi)
    throw new Error(`${name} must be an integer in [${lo}, ${hi}]`);
  return n;
}

export function parseArgs(argv: string[]): SimulatorOptions | 'help' {
  const opts: SimulatorOptions = {};
  const faults: FaultSpec[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return 'help';
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (eq > 0) return arg.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new Error(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--venues': {
        const list = value()
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        for (const v of list) if (!isVenueId(v)) throw new Error(`unknown venue '${v}' (one of ${VENUES.join(', ')})`);
        opts.venues = list as VenueId[];
        break;
      }
      case '--symbols':
        opts.symbols = value()
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        break;
      case '--rate': {
        const n = Number(value());
        if (!Number.isFinite(n) || n < 0 || n > MAX_RATE)
          throw new Error(`--rate must be in [0, ${MAX_RATE}] frames/s`);
        opts.rate = n;
        break;
      }
      case '--seed':
        opts.seed = intArg('--seed', value(), 0, 0xffffffff);
        break;
      case '--port':
        opts.port = intArg('--port', value(), 0, 65535);
        break;
      case '--duration':
        opts.durationMs = parseDuration(value());
        break;
      case '--fault':
        faults.push(parseFaultFlag(value()));
        break;
      case '--okx-checksum': {
        const v = value();
        if (v !== 'legacy' && v !== 'zero') throw new Error('--okx-checksum must be legacy or zero');
        opts.okxChecksum = v;
        break;
      }
      case '--clock': {
        const v = value();
        if (v !== 'wall' && v !== 'virtual') throw new Error('--clock must be wall or virtual');
        opts.clock = v;
        break;
      }
      default:
        throw new Error(`unknown option '${arg}'`);
    }
  }
  if (faults.length > 0) opts.faults = faults;
  return opts;
}

export async function run(argv: string[]): Promise<number> {
  let opts: SimulatorOptions | 'help';
  try {
    opts = parseArgs(argv);
  } catch (err) {
    process.stderr.write(`tickwire simulate: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    return 2;
  }
  if (opts === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const sim = await startSimulator(opts);
  // Handlers first: whoever reads the URLs may signal us right away.
  const stop = (): void => {
    void sim.close();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  for (const [venue, u] of Object.entries(sim.urls)) {
    const perp = u.wsPerp ? ` ws-linear ${u.wsPerp}` : '';
    process.stdout.write(`${venue} ${u.ws} rest ${u.rest}${perp}\n`);
  }
  process.stderr.write(`control http://127.0.0.1:${sim.port}/control (POST /control/faults, GET /control/stats)\n`);
  await sim.closed;
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  const s = sim.stats();
  process.stderr.write(
    `simulate: ${s.modelSteps} steps, ${s.framesSent} frames, ${s.connectionsTotal} connections, ${s.restRequests} REST requests\n`,
  );
  return 0;
}
