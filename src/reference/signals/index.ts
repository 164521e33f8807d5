// The TypeScript reference of the signal stage (docs/signals.md).
export { SignalEngine, DEFAULT_SIGNAL_CONFIG, type SignalConfig, type SignalStats, type LatePolicy } from './engine';
export type { SignalRecord, SignalName } from '../../engine/signals';
