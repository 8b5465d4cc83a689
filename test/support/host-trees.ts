import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The AMD EPYC fixture host: its reserved regions (MSI window, HT hole) lie above a small guest's RAM.
 * AMD, because the lab's TCG guests run QEMU's default vCPU, qemu64, whose vendor is AMD.
 */
export const CLEAN_X86_TREE = resolve('test/fixtures/hosts/amd-vi-epyc');

/** A firmware-reserved direct-mapped range (IVRS unity map / RMRR) inside the first 256 MiB of guest RAM. */
export const RMRR_IN_GUEST_RAM = '0x0000000008000000 0x00000000080fffff direct';

/**
 * A copy of the clean tree (at `dir`) whose every IOMMU group also reports RMRR_IN_GUEST_RAM: a VFIO
 * device hot-plugged there would have to map guest RAM over it (VFIO refuses: docs/domain.md#reserved-regions).
 */
export function conflictingHostTree(dir: string): string {
  cpSync(CLEAN_X86_TREE, dir, { recursive: true, verbatimSymlinks: true });
  setRmrr(dir, true);
  return dir;
}

/** Adds or removes the RMRR in a tree made by conflictingHostTree (a firmware update, as the agent sees it). */
export function setRmrr(dir: string, present: boolean): void {
  const groups = join(dir, 'sys/kernel/iommu_groups');
  for (const group of readdirSync(groups)) {
    const file = join(groups, group, 'reserved_regions');
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '' && line.trim() !== RMRR_IN_GUEST_RAM);
    writeFileSync(file, [...(present ? [RMRR_IN_GUEST_RAM] : []), ...lines].join('\n') + '\n');
  }
}

/** A small q35 TCG domain as `virsh dumpxml` shows one (no <cpu>: QEMU's qemu64, an AMD vCPU). */
export function domainXml(name: string, uuid: string): string {
  return `<domain type='qemu'>
  <name>${name}</name>
  <uuid>${uuid}</uuid>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os>
  <devices>
    <controller type='pci' index='0' model='pcie-root'/>
    <controller type='pci' index='1' model='pcie-root-port'/>
    <memballoon model='none'/>
  </devices>
</domain>`;
}
