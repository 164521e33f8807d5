export { createRingBuffer, RingWriter, RingReader, RingError, ringStats, maxPayloadBytes } from './engine/ring';
export type { RecordMeta, RecordView } from './engine/ring';
export { Engine } from './engine/engine';
export type { EngineMode, EngineOptions } from './engine/engine';
export { loadAddon, AddonLoadError } from './engine/native';
export * from './events';
