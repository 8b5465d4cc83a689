import type { IommuGroupInput, ReservedRegionInput } from '../common/fleet-shapes.js';
import type { HostTree } from './host-tree.js';
import { PCI_ADDRESS, readPciDevice } from './pci-device.js';
import { parseReservedRegions } from './reserved-regions.js';

const GROUPS_DIR = 'sys/kernel/iommu_groups';

export interface IommuGroupsFacts {
  groups: IommuGroupInput[];
  /** PCI class code per device address (the fleet format has no field for it). */
  classCodes: Record<string, string>;
}

/** IOMMU groups as /sys/kernel/iommu_groups shows them, ordered by group number. */
export function readIommuGroups(tree: HostTree): IommuGroupsFacts {
  const facts: IommuGroupsFacts = { groups: [], classCodes: {} };
  const names = tree.list(GROUPS_DIR);
  if (!names || names.length === 0) {
    tree.report(
      'warning',
      GROUPS_DIR,
      'no IOMMU groups under /sys/kernel/iommu_groups: IOMMU disabled or absent, no device can be assigned with VFIO',
    );
    return facts;
  }

  for (const name of names) {
    if (!/^\d+$/.test(name)) {
      tree.report('error', `${GROUPS_DIR}/${name}`, 'IOMMU group directory is not a number; skipped');
      continue;
    }
    facts.groups.push(readGroup(tree, Number(name), `${GROUPS_DIR}/${name}`, facts.classCodes));
  }
  facts.groups.sort((a, b) => a.id - b.id);
  return facts;
}

function readGroup(tree: HostTree, id: number, dir: string, classCodes: Record<string, string>): IommuGroupInput {
  const regionsFile = `${dir}/reserved_regions`;
  const text = tree.readText(regionsFile);
  let reservedRegions: ReservedRegionInput[] = [];
  if (text === undefined) {
    tree.report('warning', regionsFile, 'missing (kernel before v4.11?); group recorded without reserved regions');
  } else {
    const parsed = parseReservedRegions(text);
    reservedRegions = parsed.regions;
    for (const problem of parsed.problems) tree.report(problem.severity, regionsFile, problem.message, problem.line);
  }

  const devices = [];
  for (const entry of tree.list(`${dir}/devices`) ?? []) {
    if (PCI_ADDRESS.test(entry)) {
      const { device, classCode } = readPciDevice(tree, entry, dir);
      devices.push(device);
      if (classCode) classCodes[entry] = classCode;
    } else {
      // Platform/fsl-mc devices share groups on some Arm SoCs, but Ferry assigns PCI functions only.
      tree.report('note', `${dir}/devices/${entry}`, `non-PCI device "${entry}" in group ${id} is not modelled`);
    }
  }
  if (devices.length === 0) tree.report('note', `${dir}/devices`, `group ${id} has no PCI devices`);

  return { id, reservedRegions, devices };
}
