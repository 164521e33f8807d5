export { createRingBuffer, RingWriter, RingReader, RingError, ringStats, maxPayloadBytes } from './engine/ring';
export type { RecordMeta, RecordView } from './engine/ring';
export { Engine } from './engine/engine';
export type { EngineMode, EngineOptions } from './engine/engine';
export { loadAddon, AddonLoadError } from './engine/native';
export { RecordDecoder, RecordDecodeError, RECORD_TYPES, FRAME_RECORD_TYPE, recvMicros } from './engine/records';
export { normalizeFrames } from './engine/normalize';
export type { RawFrame, NormalizeFramesOptions } from './engine/normalize';
export * from './events';
