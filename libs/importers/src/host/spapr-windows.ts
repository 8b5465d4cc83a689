import type { SpaprInput } from '../common/fleet-shapes.js';
import type { HostTree } from './host-tree.js';

/**
 * sPAPR DMA-window facts for a POWER host (docs/domain.md#spapr-v1-fallback, #spapr-windows). The window layout lives
 * in the device tree's binary properties, which this importer does not decode, so the
 * values are the documented defaults for the platform, and a note says so.
 */
export function spaprDefaults(tree: HostTree, platform: 'powernv' | 'pseries' | undefined): SpaprInput | undefined {
  if (platform === 'powernv') {
    tree.report(
      'note',
      'proc/cpuinfo',
      'spapr windows are powernv defaults (2 GiB 32-bit window, 64-bit window at 0x800000000000000, DDW), not read from the device tree',
    );
    return {
      dma32Window: { start: '0x0', size: '2GiB' },
      dma64WindowAddr: '0x800000000000000',
      pageSizes: ['4KiB', '64KiB', '16MiB'],
      ddw: true,
    };
  }
  if (platform === 'pseries') {
    // A partition's VFIO reuses the default 32-bit window and supports only sPAPR TCE v1: no DDW.
    tree.report(
      'note',
      'proc/cpuinfo',
      'spapr windows are pseries defaults (2 GiB 32-bit window, 4 KiB pages, no DDW), not read from the device tree',
    );
    return {
      dma32Window: { start: '0x0', size: '2GiB' },
      pageSizes: ['4KiB'],
      ddw: false,
    };
  }
  return undefined;
}
