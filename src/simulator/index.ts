// `tickwire simulate`: a local exchange speaking each venue's wire format.
export {
  startSimulator,
  MAX_RATE,
  type Simulator,
  type SimulatorOptions,
  type SimulatorStats,
  type VenueUrls,
} from './server';
export { FAULT_KINDS, parseFaultFlag, parseFaultSpec, type FaultKind, type FaultSpec } from './faults';
export { SymbolModel, type StepResult, type ModelTrade, type TopOfBook } from './model';
export { OrderBook } from './book';
export { Rng } from './rng';
export { okxLegacyChecksum } from './venues/okx';
