export * from './schemas';
export * from './sink';
export * from './journal';
export * from './topics';
export * from './signal-schemas';
export { publishSignal } from './publish-signal';
export { registerCompressionCodecs } from './codecs';
export { BinaryReader, BinaryWriter, BinaryDecodeError } from './binary';
export type { OutRecord } from './record';
