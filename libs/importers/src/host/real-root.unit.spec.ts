import { describe, expect, it } from 'vitest';
import { importHostFacts } from './import-host-facts.js';

// Runs against the machine the tests run on: CI runners and laptops rarely have an
// IOMMU, and the importer must say so rather than fail or return an empty-looking host.
describe("importHostFacts on this machine's real /", () => {
  it('returns without throwing and either finds IOMMU groups or says clearly there are none', () => {
    const { value: host, problems } = importHostFacts();

    expect(host.id).toMatch(/^[a-z0-9-]+$/);
    expect(host.arch).toBeDefined();
    const groups = host.groups ?? [];
    if (groups.length === 0) {
      expect(problems).toContainEqual(
        expect.objectContaining({
          severity: 'warning',
          file: '/sys/kernel/iommu_groups',
          message: expect.stringContaining('no IOMMU groups'),
        }),
      );
    } else {
      for (const group of groups) expect(Number.isInteger(group.id)).toBe(true);
    }
  });
});
