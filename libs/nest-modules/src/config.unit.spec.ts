import { describe, expect, it } from 'vitest';
import { configFromEnv } from './config.js';

describe('FERRY_ADMIN_TOKEN', () => {
  it.each([
    'a',
    'admin',
    'changeme-changeme',
    'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    'abcabcabcabcabcabcabcabcabcabc12',
  ])('refuses the weak value %s at start, saying what a good one looks like', (value) =>
    expect(() => configFromEnv({ FERRY_ADMIN_TOKEN: value })).toThrow(/FERRY_ADMIN_TOKEN is too weak.*openssl rand/),
  );

  it.each([
    'fry_3q2mR8vKx0PzLw7NfT1bYc6HdJ9sAe4UgQ5oWiVtXkE',
    '5f1c9a7e3b2d8046a9e1f7c3b5d2e8a0', // openssl rand -hex 16
    'N2x/8Kp+Qe1Lw5zR0tYb3Vf7Hd9Sa4Mc6Gj2Un8Xk=', // openssl rand -base64 32
  ])('accepts the random value %s', (value) => {
    expect(configFromEnv({ FERRY_ADMIN_TOKEN: value }).adminToken).toBe(value);
  });

  it('is optional', () => expect(configFromEnv({}).adminToken).toBeUndefined());
});

describe('the outbound slot limit', () => {
  it('is derived from the link model when unset: enough 4 Gbit/s streams to fill a 10 Gbit/s link', () => {
    const config = configFromEnv({});
    expect(config.limits.outboundPerHost).toBe(3);
    expect(configFromEnv({ FERRY_LINK_BANDWIDTH: String(5_000_000_000) }).limits.outboundPerHost).toBe(10);
    expect(configFromEnv({ FERRY_STREAM_BANDWIDTH: String(250_000_000) }).limits.outboundPerHost).toBe(5);
  });

  it('never falls below the old default of 2, even when one stream fills the link', () => {
    expect(configFromEnv({ FERRY_STREAM_BANDWIDTH: String(1_250_000_000) }).limits.outboundPerHost).toBe(2);
    expect(configFromEnv({ FERRY_LINK_BANDWIDTH: String(125_000_000) }).limits.outboundPerHost).toBe(2);
  });

  it('is what the operator configured, whatever the link model says', () => {
    expect(configFromEnv({ FERRY_MAX_OUTBOUND_PER_HOST: '2' }).limits.outboundPerHost).toBe(2);
    expect(
      configFromEnv({ FERRY_MAX_OUTBOUND_PER_HOST: '1', FERRY_LINK_BANDWIDTH: String(5_000_000_000) }).limits
        .outboundPerHost,
    ).toBe(1);
  });
});
