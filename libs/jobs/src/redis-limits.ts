import { Redis } from 'ioredis';
import { waitingReason, type MigrationLimits, type SlotAnswer, type SlotLimiter, type SlotRequest } from './limits.js';
import { reportFailureOf } from '@ferry/observability';

// Three sorted sets of lease holders scored by expiry: outbound per source, inbound per destination,
// and the fleet. One Lua script drops expired leases, checks all three limits and takes all three,
// atomically, so workers in any number of processes never overshoot. Time is Redis's own clock,
// so workers on machines with skewed clocks agree.
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local id, lease = ARGV[1], tonumber(ARGV[2])
for i = 1, 3 do redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now) end
if not redis.call('ZSCORE', KEYS[3], id) then
  local limits = { tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]) }
  local names = { 'out', 'in', 'fleet' }
  for i = 1, 3 do
    if redis.call('ZCARD', KEYS[i]) >= limits[i] then return names[i] end
  end
end
for i = 1, 3 do redis.call('ZADD', KEYS[i], now + lease, id) end
return 'ok'
`;

export interface RedisLimiterOptions {
  url: string;
  prefix?: string;
  limits: MigrationLimits;
  leaseMs: number;
}

export class RedisSlotLimiter implements SlotLimiter {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly limits: MigrationLimits;
  private readonly leaseMs: number;

  constructor(options: RedisLimiterOptions) {
    this.redis = new Redis(options.url, { maxRetriesPerRequest: 3, lazyConnect: false });
    this.redis.defineCommand('ferryAcquireSlot', { numberOfKeys: 3, lua: ACQUIRE });
    // The client reconnects by itself; a connection error is reported (and shows in /health), never thrown.
    this.redis.on('error', reportFailureOf('jobs.slot-limiter-redis'));
    this.prefix = options.prefix ?? 'ferry:slots';
    this.limits = options.limits;
    this.leaseMs = options.leaseMs;
  }

  private keys(request: SlotRequest): [string, string, string] {
    return [`${this.prefix}:out:${request.source}`, `${this.prefix}:in:${request.destination}`, `${this.prefix}:fleet`];
  }

  async tryAcquire(request: SlotRequest): Promise<SlotAnswer> {
    const acquire = (this.redis as unknown as { ferryAcquireSlot: (...args: unknown[]) => Promise<string> })
      .ferryAcquireSlot;
    const { outboundPerHost, inboundPerHost, fleet } = this.limits;
    const answer = await acquire.call(
      this.redis,
      ...this.keys(request),
      request.id,
      this.leaseMs,
      outboundPerHost,
      inboundPerHost,
      fleet,
    );
    if (answer === 'ok') return { acquired: true };
    return { acquired: false, reason: waitingReason(answer as 'out' | 'in' | 'fleet', request, this.limits) };
  }

  async release(request: SlotRequest): Promise<void> {
    const multi = this.redis.multi();
    for (const key of this.keys(request)) multi.zrem(key, request.id);
    await multi.exec();
  }

  async holds(request: SlotRequest): Promise<boolean> {
    const [seconds, micros] = (await this.redis.time()) as [number | string, number | string];
    const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    const expires = await this.redis.zscore(this.keys(request)[2], request.id);
    return expires !== null && Number(expires) > now;
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
