// Thrown when a spec cannot describe a real guest, host or migration (a programming error in
// the caller, not an outcome of the simulation: outcomes are data in the reports).

export type EmulatorSpecErrorCode = 'INVALID_WORKLOAD' | 'INVALID_MEMORY' | 'INVALID_MIGRATION' | 'INVALID_HOST';

export class EmulatorSpecError extends Error {
  constructor(
    readonly code: EmulatorSpecErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EmulatorSpecError';
  }
}
