import { DEFAULT_LINK_BANDWIDTH, defaultOutboundPerHost } from '@ferry/orchestration';

/** Everything the service reads from its environment, read once at start. */
export interface AppConfig {
  port: number;
  host: string;
  /** postgres://… runs on PostgreSQL; unset runs on the embedded SQLite file. */
  databaseUrl?: string;
  sqlitePath: string;
  /** PostgreSQL schema to use (tests give each suite its own). */
  databaseSchema?: string;
  bodyLimit: string;
  /** redis://… runs the job queue on BullMQ and slot limits in Redis, shared by every process. */
  redisUrl?: string;
  /** Execute jobs in this process: always in embedded mode; with Redis only if asked (FERRY_RUN_WORKERS=true). */
  runWorkers: boolean;
  queuePrefix: string;
  limits: { outboundPerHost: number; inboundPerHost: number; fleet: number };
  /** Emulator pace: virtual seconds per wall second (unset: as fast as it can). */
  emulatorSpeed?: number;
  /** How long a worker's slot lease lasts without renewal; a dead worker's migration is declared failed after it. */
  leaseMs: number;
  workerConcurrency: number;
  /** Registered as an admin token at start (FERRY_ADMIN_TOKEN); unset: the first start mints and prints one. */
  adminToken?: string;
  /** Requests per second per API token (bursts up to twice that). */
  rateLimit: number;
  /** Failed authentications per second per client address (bursts up to twice that); beyond it, 429 before any lookup. */
  authFailureRate: number;
  /** Bytes per second between two hosts (default 10 Gbit/s). */
  linkBandwidth: number;
  /**
   * What one migration stream can push, bytes per second, when measured. Unset: the emulator's streams
   * are limited by the link only, and the evacuation scheduler assumes DEFAULT_STREAM_BANDWIDTH.
   */
  streamBandwidth?: number;
  /** Build the in-memory fleet view and conflict matrix at start (the API does; workers do not need to). */
  warmFleetView: boolean;
  /** Offer the real-QEMU backend (FERRY_QEMU_BACKEND=1): migrations and hot-plugs with backend "qemu" run local QEMUs. */
  qemuBackend: boolean;
  /** A host whose agent has not reported for this long is marked unreachable (not schedulable). */
  agentTimeoutMs: number;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number ≥ 1, got ${raw}`);
  return value;
}

/**
 * FERRY_ADMIN_TOKEN is an admin's password for the whole fleet: refuse one a guess or a crack would
 * find. At least 24 characters and an estimated 96 bits (length × log2 of the distinct characters:
 * `openssl rand -hex 16` has about 120, a repeated word far less).
 */
function strongAdminToken(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const bits = value.length * Math.log2(new Set(value).size);
  if (value.length < 24 || bits < 96)
    throw new Error(
      `FERRY_ADMIN_TOKEN is too weak (${value.length} characters, about ${Math.floor(bits)} bits): use at least 24 random characters, e.g. \`openssl rand -base64 32\``,
    );
  return value;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const port = Number(env.PORT ?? 8080);
  const linkBandwidth = positiveInt(env, 'FERRY_LINK_BANDWIDTH', DEFAULT_LINK_BANDWIDTH);
  const streamBandwidth = env.FERRY_STREAM_BANDWIDTH ? positiveInt(env, 'FERRY_STREAM_BANDWIDTH', 1) : undefined;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT must be a port number, got ${env.PORT}`);
  return {
    port,
    host: env.HOST ?? '127.0.0.1',
    databaseUrl: env.DATABASE_URL || undefined,
    sqlitePath: env.FERRY_SQLITE_PATH ?? `${env.FERRY_DATA_DIR ?? './data'}/ferry.sqlite`,
    databaseSchema: env.DATABASE_SCHEMA || undefined,
    bodyLimit: env.FERRY_BODY_LIMIT ?? '32mb',
    redisUrl: env.REDIS_URL || undefined,
    runWorkers: !env.REDIS_URL || env.FERRY_RUN_WORKERS === 'true',
    queuePrefix: env.FERRY_QUEUE_PREFIX ?? 'ferry',
    limits: {
      // Unset: as many as fill the link with the stream model (3 by default); a configured value always wins.
      outboundPerHost: positiveInt(
        env,
        'FERRY_MAX_OUTBOUND_PER_HOST',
        defaultOutboundPerHost(linkBandwidth, streamBandwidth),
      ),
      inboundPerHost: positiveInt(env, 'FERRY_MAX_INBOUND_PER_HOST', 2),
      fleet: positiveInt(env, 'FERRY_MAX_MIGRATIONS', 5),
    },
    emulatorSpeed: env.FERRY_EMULATOR_SPEED ? Number(env.FERRY_EMULATOR_SPEED) : undefined,
    leaseMs: positiveInt(env, 'FERRY_LEASE_MS', 30_000),
    workerConcurrency: positiveInt(env, 'FERRY_WORKER_CONCURRENCY', 8),
    adminToken: strongAdminToken(env.FERRY_ADMIN_TOKEN),
    rateLimit: positiveInt(env, 'FERRY_RATE_LIMIT', 500),
    authFailureRate: positiveInt(env, 'FERRY_AUTH_FAILURE_RATE', 10),
    linkBandwidth,
    streamBandwidth,
    warmFleetView: true,
    qemuBackend: env.FERRY_QEMU_BACKEND === '1' || env.FERRY_QEMU_BACKEND === 'true',
    agentTimeoutMs: positiveInt(env, 'FERRY_AGENT_TIMEOUT_MS', 30_000),
  };
}
