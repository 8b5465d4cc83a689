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
