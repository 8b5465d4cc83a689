import { toHex } from '@ferry/domain';
import type { ReservedRegionInput } from '../common/fleet-shapes.js';
import type { ProblemSeverity } from '../common/problems.js';

/** A problem inside one file; `line` is 1-based and absent for the file as a whole. */
export interface LineProblem {
  severity: ProblemSeverity;
  line?: number;
  message: string;
}

// iommu_group_show_resv_regions() prints "0x%016llx 0x%016llx %s\n": start, inclusive end, type.
const REGION_LINE = /^0x([0-9a-f]{16}) 0x([0-9a-f]{16}) (\S+)$/;

const KNOWN_TYPES: ReadonlySet<string> = new Set(['direct', 'direct-relaxable', 'reserved', 'msi']);

/**
 * Parses one group's `reserved_regions` file. A line that does not match the kernel's
 * format exactly is reported and skipped, never guessed at: a wrong region is worse
 * than a missing one that the caller knows about.
 */
export function parseReservedRegions(text: string): { regions: ReservedRegionInput[]; problems: LineProblem[] } {
  const regions: ReservedRegionInput[] = [];
  const problems: LineProblem[] = [];
  const lines = text.split('\n');
  // The kernel ends every line with "\n"; the empty piece after the last one is not a line.
  if (lines[lines.length - 1] === '') lines.pop();

  lines.forEach((content, index) => {
    const line = index + 1;
    const match = REGION_LINE.exec(content);
    if (!match) {
      problems.push({
        severity: 'error',
        line,
        message: `malformed reserved region ${JSON.stringify(content)}: expected "0x<16 hex> 0x<16 hex> <type>"; line skipped`,
      });
      return;
    }
    const start = BigInt(`0x${match[1]}`);
    const end = BigInt(`0x${match[2]}`);
    if (end < start) {
      problems.push({
        severity: 'error',
        line,
        message: `reserved region ends before it starts (${content}); line skipped`,
      });
      return;
    }
    let type = match[3] as ReservedRegionInput['type'];
    if (!KNOWN_TYPES.has(type)) {
      // docs/domain.md#reserved-regions-file: a type this code does not know must still keep guest RAM away.
      problems.push({ severity: 'note', line, message: `unknown region type "${match[3]}" treated as reserved` });
      type = 'reserved';
    }
    regions.push({ start: toHex(start), end: toHex(end), type });
  });

  return { regions, problems };
}
