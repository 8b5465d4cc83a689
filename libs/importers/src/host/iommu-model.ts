import { parseHexU64 } from '../common/hex.js';
import type { Arch, IommuModel } from '../common/fleet-shapes.js';
import type { HostTree } from './host-tree.js';

const CLASS_DIR = 'sys/class/iommu';

// Names the drivers give their units in iommu_device_sysfs_add().
function modelOfUnit(name: string): IommuModel | undefined {
  if (/^dmar\d+$/.test(name)) return 'intel-vtd';
  if (/^ivhd\d+$/.test(name)) return 'amd-vi';
  // "smmu3.0x…" is SMMUv3; "smmu.0x…" (v1/v2) shares the SW MSI window and is modelled alike.
  if (name.includes('smmu')) return 'arm-smmuv3';
  if (/^iommu-phb[0-9a-f]+$/.test(name)) return 'spapr-tce';
  if (name.startsWith('s390-iommu.')) return 's390-zpci';
  // virtio-iommu registers under the virtio device's name.
  if (/^virtio\d+$/.test(name)) return 'virtio-iommu';
  return undefined;
}

// Used when the hardware does not expose its width; chosen on the narrow side, so a
// plan that passes with the default also passes on the real host.
const DEFAULT_WIDTH: Partial<Record<IommuModel, number>> = {
  'intel-vtd': 39, // client VT-d parts; servers usually report 46 or 48
  'amd-vi': 48, // 4-level host page tables
  'arm-smmuv3': 48, // SMMU_IDR5.OAS is not in sysfs; 48 is the common server value
  'virtio-iommu': 48,
};

export interface IommuModelFacts {
  model: IommuModel;
  units: string[];
  addressWidthBits?: number;
}

export function readIommuModel(tree: HostTree, arch: Arch | undefined): IommuModelFacts {
  const units = tree.list(CLASS_DIR) ?? [];
  const byModel = new Map<IommuModel, string[]>();
  for (const unit of units) {
    const model = modelOfUnit(unit);
    if (!model) {
      tree.report('note', `${CLASS_DIR}/${unit}`, `unrecognised IOMMU unit "${unit}"; ignored`);
      continue;
    }
    byModel.set(model, [...(byModel.get(model) ?? []), unit]);
  }

  let model: IommuModel = 'none';
  if (byModel.size > 1) {
    const found = [...byModel.keys()].join(', ');
    tree.report('warning', CLASS_DIR, `IOMMU units of several models (${found}); recording the most numerous`);
  }
  const ranked = [...byModel.entries()].sort((a, b) => b[1].length - a[1].length);
  if (ranked.length > 0) {
    model = ranked[0][0];
  } else if (arch === 'ppc64le') {
    // POWER always translates DMA through TCE tables; older kernels register no unit in sysfs.
    model = 'spapr-tce';
    tree.report(
      'note',
      CLASS_DIR,
      'no IOMMU units in sysfs; POWER hosts always have TCE tables, so spapr-tce is assumed',
    );
  }

  const modelUnits = byModel.get(model) ?? [];
  return { model, units: modelUnits, addressWidthBits: addressWidth(tree, model, modelUnits) };
}

function addressWidth(tree: HostTree, model: IommuModel, units: string[]): number | undefined {
  if (model === 'intel-vtd') {
    const widths = units
      .map((unit) => intelMgaw(tree, `${CLASS_DIR}/${unit}/intel-iommu/cap`))
      .filter((width): width is number => width !== undefined);
    if (widths.length > 0) {
      const narrowest = Math.min(...widths);
      if (new Set(widths).size > 1) {
        tree.report(
          'note',
          CLASS_DIR,
          `DMAR units differ in address width (${widths.join(', ')}); using the narrowest, ${narrowest}`,
        );
      }
      return narrowest;
    }
  }
  const fallback = DEFAULT_WIDTH[model];
  if (fallback !== undefined) {
    tree.report(
      'warning',
      CLASS_DIR,
      `IOMMU address width not exposed by the ${model} driver; assuming ${fallback} bits`,
    );
    return fallback;
  }
  if (model === 'spapr-tce' || model === 's390-zpci') {
    tree.report(
      'note',
      CLASS_DIR,
      `${model} maps DMA through windows, not a fixed aperture; no address width recorded`,
    );
  }
  return undefined;
}

/** VT-d capability register, MGAW field (bits 21:16) + 1: `cap_mgaw()` in the kernel. */
function intelMgaw(tree: HostTree, file: string): number | undefined {
  const text = tree.readText(file);
  if (text === undefined) return undefined;
  const cap = parseHexU64(text.trim());
  if (cap === undefined) {
    tree.report('error', file, `capability register ${JSON.stringify(text.trim())} is not hex; ignored`);
    return undefined;
  }
  return Number((cap >> 16n) & 0x3fn) + 1;
}
