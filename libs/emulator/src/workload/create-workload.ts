// Turns a WorkloadSpec into a generator over the guest's logical page space.
import { EmulatorSpecError } from '../spec-error.js';
import { PAGE_SIZE_BIG } from '../units.js';
import type { MemoryRegion, WritePattern } from './workload-spec.js';
import {
  HotSetWrites,
  IdleWrites,
  PhasedWrites,
  SequentialWrites,
  UniformWrites,
  type PageRange,
  type WriteGenerator,
} from './write-generators.js';

export function createWorkload(pattern: WritePattern, totalPages: number): WriteGenerator {
  switch (pattern.kind) {
    case 'idle':
      return new IdleWrites();
    case 'fill-once':
      return new SequentialWrites(rate(pattern.pagesPerSecond), regionPages(pattern.region, totalPages), false);
    case 'sweep': {
      const region = regionPages(pattern.region, totalPages);
      const startPage = Number((pattern.startOffsetBytes ?? 0n) / PAGE_SIZE_BIG);
      if (startPage < 0 || startPage >= region.end - region.start) {
        throw new EmulatorSpecError(
          'INVALID_WORKLOAD',
          `sweep startOffsetBytes ${pattern.startOffsetBytes} must lie inside its region`,
        );
      }
      return new SequentialWrites(rate(pattern.pagesPerSecond), region, true, startPage);
    }
    case 'uniform':
      return new UniformWrites(rate(pattern.pagesPerSecond), regionPages(pattern.region, totalPages));
    case 'hot-set': {
      const whole = regionPages(pattern.region, totalPages);
      const hot = regionPages(
        { offsetBytes: pattern.hotOffsetBytes ?? 0n, sizeBytes: pattern.hotBytes },
        whole.end - whole.start,
      );
      if (!(pattern.hotFraction >= 0 && pattern.hotFraction <= 1)) {
        throw new EmulatorSpecError(
          'INVALID_WORKLOAD',
          `hotFraction must be within [0, 1], got ${pattern.hotFraction}`,
        );
      }
      return new HotSetWrites(
        rate(pattern.pagesPerSecond),
        pattern.hotFraction,
        { start: whole.start + hot.start, end: whole.start + hot.end },
        whole,
      );
    }
    case 'phases':
      return new PhasedWrites(
        pattern.phases.map((phase) => {
          if (!(phase.durationMs > 0))
            throw new EmulatorSpecError('INVALID_WORKLOAD', 'phase durations must be positive');
          return { durationMs: phase.durationMs, generator: createWorkload(phase.pattern, totalPages) };
        }),
        pattern.repeat ?? false,
      );
    default: {
      const unknown: never = pattern;
      throw new EmulatorSpecError('INVALID_WORKLOAD', `unknown workload ${JSON.stringify(unknown)}`);
    }
  }
}

function rate(pagesPerSecond: number): number {
  if (!(pagesPerSecond >= 0) || !Number.isFinite(pagesPerSecond)) {
    throw new EmulatorSpecError(
      'INVALID_WORKLOAD',
      `pagesPerSecond must be a finite number ≥ 0, got ${pagesPerSecond}`,
    );
  }
  return pagesPerSecond;
}

function regionPages(region: MemoryRegion | undefined, totalPages: number): PageRange {
  if (!region) return { start: 0, end: totalPages };
  const start = Number(region.offsetBytes / PAGE_SIZE_BIG);
  const end = start + Number(region.sizeBytes / PAGE_SIZE_BIG);
  if (region.offsetBytes < 0n || end <= start || end > totalPages) {
    throw new EmulatorSpecError(
      'INVALID_WORKLOAD',
      `workload region [${region.offsetBytes}, +${region.sizeBytes}) must be a non-empty part of the guest's ${totalPages} pages`,
    );
  }
  return { start, end };
}
