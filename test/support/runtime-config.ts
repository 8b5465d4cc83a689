import type { RuntimeConfig } from '@ferry/orchestration';
import { configFromEnv } from '@ferry/nest-modules';

type Defaults = Pick<RuntimeConfig, 'queuePrefix' | 'limits' | 'concurrency' | 'linkBandwidth' | 'leaseMs'>;

/** What a runtime gets in a default deployment: the app's config defaults, not numbers re-declared here. */
export function defaultRuntimeConfig(): Defaults {
  const config = configFromEnv({});
  return {
    queuePrefix: config.queuePrefix,
    limits: config.limits,
    concurrency: config.workerConcurrency,
    linkBandwidth: config.linkBandwidth,
    leaseMs: config.leaseMs,
  };
}
