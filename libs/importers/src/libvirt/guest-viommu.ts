import type { GuestDetails, GuestDraft, Viommu } from '../common/fleet-shapes.js';
import { onOff } from './on-off.js';
import type { ProblemLog } from './problem-log.js';
import type { XmlNode } from './xml-node.js';

const MODELS: Readonly<Record<string, Viommu>> = {
  intel: 'intel-iommu',
  amd: 'amd-iommu',
  smmuv3: 'smmuv3',
  virtio: 'virtio-iommu',
};

interface ViommuFacts {
  value: Pick<GuestDraft, 'viommu' | 'viommuAddressWidthBits'>;
  options?: GuestDetails['viommuOptions'];
}

/**
 * The guest's virtual IOMMU from <devices><iommu model=…><driver …/>. pseries guests
 * always have one: their PCI host bridges translate DMA through TCE tables (docs/domain.md#layout-pseries).
 */
export function readViommu(devices: XmlNode | undefined, machine: string | undefined, log: ProblemLog): ViommuFacts {
  const iommus = devices?.children('iommu') ?? [];
  if (iommus.length === 0) return { value: { viommu: machine?.startsWith('pseries') ? 'spapr' : 'none' } };
  if (iommus.length > 1) log.warning(iommus[1].path, 'more than one <iommu>; only the first is recorded');

  const iommu = iommus[0];
  const model = iommu.attr('model');
  const viommu = model === undefined ? undefined : MODELS[model];
  if (!viommu) {
    // Passed through, not left out: the schema's default would be "none", and the guest
    // does have an IOMMU. Applying then fails on this field.
    log.error(iommu.path, `unknown iommu model ${JSON.stringify(model)}; passed through unrecognised`);
    return { value: { viommu: model ?? '' } };
  }

  const facts: ViommuFacts = { value: { viommu } };
  const driver = iommu.child('driver');
  if (!driver) return facts;

  const awBits = driver.attr('aw_bits');
  if (awBits !== undefined) {
    if (/^\d+$/.test(awBits)) facts.value.viommuAddressWidthBits = Number(awBits);
    else log.error(driver.path, `aw_bits=${JSON.stringify(awBits)} is not a number; ignored`);
  }
  const options: NonNullable<ViommuFacts['options']> = {};
  for (const [attribute, key] of [
    ['intremap', 'intremap'],
    ['caching_mode', 'cachingMode'],
    ['eim', 'eim'],
    ['iotlb', 'iotlb'],
  ] as const) {
    const value = onOff(driver, attribute, log);
    if (value !== undefined) options[key] = value;
  }
  if (Object.keys(options).length > 0) facts.options = options;
  return facts;
}
