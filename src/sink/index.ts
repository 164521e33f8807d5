export * from './schemas';
export * from './sink';
export * from './journal';
export * from './topics';
export { BinaryReader, BinaryWriter, BinaryDecodeError } from './binary';
export type { OutRecord } from './record';
