// Browser tests drive Debian's Chromium through playwright-core (never a downloaded browser build),
// with the flags a headless run in a container needs (ARGS), and a seeded fleet generator for the dashboard's scale test.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { seededRandom } from './seeded-random.js';

export const CHROMIUM_PATH = process.env.FERRY_CHROMIUM ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM_PATH);
export const SCREENSHOT_DIR = resolve('artifacts/screenshots');

// Without the background-networking flags Chromium floods the closed network with refused connections.
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * A fresh profile each time: playwright refuses --user-data-dir in `args`, so the directory is given
 * to launchPersistentContext, which passes it to Chromium as --user-data-dir.
 */
export async function launchBrowser(): Promise<TestBrowser> {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'ferry-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ARGS,
    viewport: { width: 1400, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return join(SCREENSHOT_DIR, name);
}

// ---- a seeded fleet ------------------------------------------------------------------------------

const hex = (n: bigint) => `0x${n.toString(16)}`;
const GiB = 1n << 30n;

/**
 * `hostCount` hosts in 20 pools (x86 Intel/AMD and aarch64) and `guestCount` guests on them, as a fleet
 * file. About 5% of IOMMU groups carry a firmware region inside typical guest RAM, so the matrix has
 * real overlaps to find, as on a real fleet.
 */
export function seededFleet(hostCount: number, guestCount: number, seed = 20_240_611) {
  const random = seededRandom(seed);
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const flavours = ['intel', 'intel', 'amd', 'arm'] as const;
  const hosts = Array.from({ length: hostCount }, (_, i) => {
    const flavour = flavours[i % flavours.length]!;
    const groups = Array.from({ length: int(2, 4) }, (_, g) => {
      const reservedRegions: { start: string; end: string; type: string }[] = [
        flavour === 'arm'
          ? { start: '0x8000000', end: '0x80fffff', type: 'msi' }
          : { start: '0xfee00000', end: '0xfeefffff', type: 'msi' },
      ];
      if (flavour === 'amd') reservedRegions.push({ start: '0xfd00000000', end: '0xffffffffff', type: 'reserved' });
      if (random() < 0.05) {
        const start = BigInt(int(8, 40)) * GiB + BigInt(int(0, 15)) * 0x1000_0000n;
        reservedRegions.push({
          start: hex(start),
          end: hex(start + 0xffffn),
          type: flavour === 'arm' ? 'msi' : 'reserved',
        });
      }
      return {
        id: g,
        reservedRegions,
        devices: [
          {
            address: `0000:${(0x10 + g).toString(16)}:00.0`,
            class: g % 2 === 0 ? 'network' : 'storage',
            driver: 'vfio-pci',
            migratable: random() < 0.5,
          },
        ],
      };
    });
    return {
      id: `host-${String(i).padStart(4, '0')}`,
      pool: `pool-${i % 20}`,
      arch: flavour === 'arm' ? 'aarch64' : 'x86_64',
      cpuVendor: flavour,
      memory: `${int(2, 4) * 512}GiB`,
      kernel: '6.8.0',
      qemuVersion: '9.1',
      iommu: {
        model: flavour === 'intel' ? 'intel-vtd' : flavour === 'amd' ? 'amd-vi' : 'arm-smmuv3',
        addressWidthBits: 48,
        interruptRemapping: true,
        vfioBackends: ['type1v2'],
      },
      groups,
    };
  });
  const guests = Array.from({ length: guestCount }, (_, i) => {
    const host = hosts[int(0, hosts.length - 1)]!;
    const arm = host.arch === 'aarch64';
    return {
      id: `vm-${String(i).padStart(5, '0')}`,
      host: host.id,
      machine: arm ? 'virt-8.2' : 'pc-q35-8.2',
      cpuVendor: host.cpuVendor,
      memory: { ram: `${int(2, 16) * 2}GiB` },
      devices: [{ id: 'net0', kind: 'virtio-net', iommuPlatform: true }],
      hotplugReservations: [{ kind: 'vfio', deviceClass: 'network' }],
    };
  });
  return { hosts, guests };
}
