import { formatSize } from '@ferry/domain';
import type { AddressRangeInput, HostDetails, HostDraft } from '../common/fleet-shapes.js';
import type { ImportResult } from '../common/problems.js';
import { type CpuFacts, parseCpuinfo } from './cpuinfo.js';
import { HostTree } from './host-tree.js';
import { readInterruptRemapping } from './interrupt-remapping.js';
import { readIommuGroups } from './iommu-groups.js';
import { readIommuModel } from './iommu-model.js';
import { readKernelRelease } from './kernel-version.js';
import { parseBridgeWindows } from './proc-iomem.js';
import { spaprDefaults } from './spapr-windows.js';
import { readAllowUnsafeInterrupts, readPowerKvm, readVfioBackends } from './vfio-backends.js';

export interface ImportHostFactsOptions {
  /** Where the host's /sys and /proc are: `/` on the host itself, or a dump of them. */
  root?: string;
  /** The fleet id; defaults to the host name from /proc/sys/kernel/hostname. */
  id?: string;
  pool?: string;
}

/**
 * The `hosts[]` entry of a fleet file, read from a live host or a dump of its /sys and
 * /proc. Never throws on what it finds: unreadable or malformed input is skipped and
 * reported in `problems` with the file (and line) it came from. A fact that could not be
 * read is left out, so applying the value fails on it rather than on a guess.
 */
export function importHostFacts(options: ImportHostFactsOptions = {}): ImportResult<HostDraft, HostDetails> {
  const tree = new HostTree(options.root ?? '/');

  const { arch, cpuVendor, powerPlatform, physBits } = readCpu(tree);

  const iommuModel = readIommuModel(tree, arch);
  const interruptRemapping = readInterruptRemapping(tree, iommuModel.model, iommuModel.units);
  const kvm = readPowerKvm(tree, arch);
  const spapr = arch === 'ppc64le' ? spaprDefaults(tree, powerPlatform) : undefined;
  const memory = readMemory(tree);
  const kernel = readKernelRelease(tree);
  const { groups, classCodes } = readIommuGroups(tree);

  // Built in docs/fleet-format.md's field order so written YAML reads like its tables.
  const host: HostDraft = {
    id: hostId(tree, options.id),
    ...(options.pool !== undefined && { pool: options.pool }),
    ...(arch && { arch }),
    ...(cpuVendor && { cpuVendor }),
    ...(memory && { memory }),
    ...(kernel && { kernel }),
    ...(physBits !== undefined && { physBits }),
    iommu: {
      model: iommuModel.model,
      ...(iommuModel.addressWidthBits !== undefined && { addressWidthBits: iommuModel.addressWidthBits }),
      ...(interruptRemapping !== undefined && { interruptRemapping }),
      allowUnsafeInterrupts: readAllowUnsafeInterrupts(tree),
      vfioBackends: readVfioBackends(tree, iommuModel.model),
      ...(kvm && { kvm }),
      ignoreIommuFor: [],
    },
    bridgeWindows: readBridgeWindows(tree),
    groups,
    ...(spapr && { spapr }),
  };

  const details: HostDetails = { classCodes, ...(powerPlatform && { powerPlatform }) };
  return { value: host, problems: tree.problems, details };
}

function readCpu(tree: HostTree): CpuFacts {
  const text = tree.readText('proc/cpuinfo');
  if (text === undefined) {
    tree.report('warning', 'proc/cpuinfo', 'missing; architecture and CPU vendor unknown');
    return {};
  }
  const parsed = parseCpuinfo(text);
  for (const problem of parsed.problems) tree.report(problem.severity, 'proc/cpuinfo', problem.message, problem.line);
  return parsed.facts;
}

function hostId(tree: HostTree, requested: string | undefined): string {
  const source = requested ?? tree.readText('proc/sys/kernel/hostname')?.trim() ?? '';
  // Fleet ids are [a-z0-9-]; a hostname's domain part is not part of the id.
  const base = requested === undefined ? source.split('.')[0] : source;
  const id = base
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (id === '') {
    tree.report('warning', 'proc/sys/kernel/hostname', 'no usable host name; id set to "host"');
    return 'host';
  }
  if (requested !== undefined && id !== requested) {
    tree.report('warning', undefined, `host id "${requested}" is not [a-z0-9-]; using "${id}"`);
  }
  return id;
}

function readMemory(tree: HostTree): string | undefined {
  const meminfo = tree.readText('proc/meminfo');
  if (meminfo === undefined) {
    tree.report('warning', 'proc/meminfo', 'missing; host memory unknown');
    return undefined;
  }
  // The kernel's "kB" here is KiB.
  const kib = /^MemTotal:\s+(\d+) kB$/m.exec(meminfo)?.[1];
  if (!kib) {
    tree.report('error', 'proc/meminfo', 'no "MemTotal: <n> kB" line; host memory unknown');
    return undefined;
  }
  return formatSize(BigInt(kib) * 1024n);
}

function readBridgeWindows(tree: HostTree): AddressRangeInput[] {
  const text = tree.readText('proc/iomem');
  if (text === undefined) {
    tree.report('warning', 'proc/iomem', 'missing; host-bridge windows unknown');
    return [];
  }
  const parsed = parseBridgeWindows(text);
  for (const problem of parsed.problems) tree.report(problem.severity, 'proc/iomem', problem.message, problem.line);
  return parsed.windows;
}
