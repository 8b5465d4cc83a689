// Every conflict names where it is documented (`section`): operators follow it from the API, the CLI
// ("see docs/domain.md#rule-…") and the dashboard, so each code must have its row in the rule index.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFLICT_CODES, CONFLICT_SECTIONS } from '../index.js';

const domainDoc = readFileSync(new URL('../../../../docs/domain.md', import.meta.url), 'utf8');

describe('the conflict catalogue and docs/domain.md', () => {
  it.each(CONFLICT_CODES)('%s points at its own row of the rule index', (code) => {
    const anchor = `rule-${code.toLowerCase().replaceAll('_', '-')}`;
    expect(CONFLICT_SECTIONS[code]).toBe(`docs/domain.md#${anchor}`);
    expect(domainDoc).toContain(`<a id="${anchor}"></a>\`${code}\``);
  });
});
