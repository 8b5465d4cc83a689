// Events are past-tense facts. Never change the meaning of a stored event type: add a new one.
// Event data holds bigints in memory and "0x…" strings in the store (see event-codec.ts).

/** An event as deciders produce it and evolve consumes it. */
export interface DomainEvent<Type extends string = string, Data = unknown> {
  type: Type;
  data: Data;
}

export interface EventMetadata {
  actor?: string;
  correlationId?: string;
  causationId?: string;
  idempotencyKey?: string;
  recordedAt?: string;
}

export const streamOf = {
  host: (id: string) => `host-${id}`,
  guest: (id: string) => `guest-${id}`,
  migration: (id: string) => `migration-${id}`,
  machineDefaults: () => 'machine-defaults',
};
