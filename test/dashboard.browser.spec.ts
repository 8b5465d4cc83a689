// The dashboard (issue 6) in Debian's Chromium, against the real app: the migrate-then-hot-plug
// conflict found in the matrix and drawn at the right addresses, time travel, live updates and a
// migration's progress bar; then the same page on a seeded fleet of 10,000 guests × 1,000 hosts,
// with its load times printed. Screenshots go to artifacts/screenshots/.
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from './support/app.js';
import { appBackend, type TestBackend } from './support/backends.js';
import {
  CHROMIUM_PATH,
  hasChromium,
  launchBrowser,
  screenshotPath,
  seededFleet,
  type TestBrowser,
} from './support/browser.js';

const armExample = readFileSync(new URL('../examples/fleet-arm-migrate-then-hotplug.yaml', import.meta.url), 'utf8');

// Two plain aarch64 hosts and a guest that can move between them: a migration that is allowed to run.
const armHost = (id: string) => ({
  id,
  pool: 'rack-9',
  arch: 'aarch64',
  cpuVendor: 'arm',
  memory: '512GiB',
  kernel: '6.8.0',
  iommu: { model: 'arm-smmuv3', addressWidthBits: 48, interruptRemapping: true, vfioBackends: ['type1v2'] },
  groups: [
    {
      id: 12,
      reservedRegions: [{ start: '0x08000000', end: '0x080fffff', type: 'msi' }],
      devices: [{ address: '0000:81:00.0', class: 'network', driver: 'vfio-pci' }],
    },
  ],
});
const movable = {
  id: 'vm-mover',
  host: 'arm-1',
  machine: 'virt-8.2',
  cpuVendor: 'arm',
  memory: { ram: '4GiB' },
  migration: { dirtyRate: '30000/s', workingSet: '2GiB' },
};

// Virtual seconds per wall second: slow enough that a few progress events arrive while we watch.
const EMULATOR_SPEED = 0.5;

/** The page gets a viewer's token: the dashboard only reads, and a viewer must be enough. */
async function authorize(api: RunningApp, browser: TestBrowser): Promise<void> {
  const token = await api.issueToken('viewer');
  await browser.context.addInitScript((secret) => {
    try {
      sessionStorage.setItem('ferry.token', secret);
    } catch {
      // about:blank has no storage
    }
  }, token);
}

if (!hasChromium)
  console.warn(`dashboard browser tests skipped: ${CHROMIUM_PATH} is missing (apt-get install -y chromium)`);

describe.skipIf(!hasChromium)('dashboard in Chromium', { timeout: 60_000 }, () => {
  let backend: TestBackend;
  let api: RunningApp;
  let browser: TestBrowser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    backend = appBackend();
    api = await startApp(backend, { emulatorSpeed: EMULATOR_SPEED });
    expect((await api.request('POST', '/v1/fleet', { yaml: armExample })).status).toBe(200);
    expect(
      (
        await api.request('POST', '/v1/fleet', {
          body: { hosts: [armHost('arm-1'), armHost('arm-2')], guests: [movable] },
        })
      ).status,
    ).toBe(200);
    browser = await launchBrowser();
    await authorize(api, browser);
    page = await browser.context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
  });
  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await backend?.cleanup();
  });

  it('serves the page and only its own files, with a strict content policy', async () => {
    const bare = await fetch(`${api.url}/dashboard`, { redirect: 'manual' });
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/dashboard/');
    const index = await fetch(`${api.url}/dashboard/`);
    expect(index.headers.get('content-type')).toContain('text/html');
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect((await fetch(`${api.url}/dashboard/main.js`)).headers.get('content-type')).toContain('javascript');
    expect((await fetch(`${api.url}/dashboard/..%2Fdashboard.controller.ts`)).status).toBe(404);
    expect((await fetch(`${api.url}/dashboard/nope.js`)).status).toBe(404);
  });

  it('finds vm-1 × host-b in the matrix and draws the MSI window inside guest RAM', async () => {
    await page.goto(`${api.url}/dashboard/`);
    await page.waitForSelector('#overview[data-ready="true"]');
    await page.waitForSelector('#matrix[data-ready="true"]');
    // Counts: the example's two hosts plus two, its guest plus one.
    expect(await page.locator('#overview-cards .card').first().innerText()).toContain('2');
    await page.waitForSelector('#codes-table tr[data-code="MSI_WINDOW_OVERLAPS_GUEST_RAM"]');
    await page.waitForSelector('#recent-events li');
    await page.screenshot({ path: screenshotPath('dashboard-overview.png'), fullPage: true });

    // Search: guest id (exact) and host id; the grid narrows to one cell.
    await page.getByLabel('Guest id').fill('vm-1');
    await page.getByLabel('Host id').fill('host-b');
    await page.getByRole('button', { name: 'Apply' }).click();
    const cell = page.locator('#matrix-grid button.cell[data-guest="vm-1"][data-host="host-b"]');
    await cell.waitFor();
    expect(await cell.getAttribute('data-verdict')).toBe('blocked');
    expect(await cell.getAttribute('data-codes')).toContain('MSI_WINDOW_OVERLAPS_GUEST_RAM');
    expect(await page.locator('#matrix-grid button.cell').count()).toBe(1);
    await page.locator('#matrix').screenshot({ path: screenshotPath('dashboard-matrix.png') });

    // The same cell through the list view and the rule-code filter.
    await page.getByLabel('Guest id').fill('');
    await page.getByLabel('Host id').fill('');
    await page.getByLabel('Rule code', { exact: true }).selectOption('MSI_WINDOW_OVERLAPS_GUEST_RAM');
    await page.getByRole('radio', { name: 'List' }).check();
    await page.locator('#matrix-list tr[data-guest="vm-1"][data-host="host-b"]').waitFor();
    expect(await page.locator('#matrix-list tbody tr').count()).toBe(1);

    // Drill-down from the grid cell.
    await page.getByRole('radio', { name: 'Grid' }).check();
    await page.getByLabel('Guest id').fill('vm-1');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.locator('#matrix-grid button.cell[data-host="host-b"]').click();
    await page.waitForSelector('#detail svg.address-map');
    expect(page.url()).toContain('#/cell/migration/vm-1/host-b');
    const conflict = page.locator('#detail li.conflict[data-code="MSI_WINDOW_OVERLAPS_GUEST_RAM"]');
    expect(await conflict.innerText()).toContain('Remedy');
    expect(await conflict.innerText()).toContain('0x202110000–0x20211ffff');

    const overlap = page.locator('svg.address-map rect[data-kind="overlap"]');
    expect(await overlap.count()).toBe(1);
    expect(await overlap.getAttribute('data-start')).toBe('0x202110000');
    expect(await overlap.getAttribute('data-end')).toBe('0x20211ffff');
    expect(await overlap.getAttribute('data-code')).toBe('MSI_WINDOW_OVERLAPS_GUEST_RAM');
    const ram = page.locator('svg.address-map rect[data-layer="guest"][data-kind="ram"]');
    expect(await ram.getAttribute('data-start')).toBe('0x40000000');
    expect(await ram.getAttribute('data-end')).toBe('0x43fffffff');
    expect(await ram.getAttribute('class')).toContain('hit');
    const msi = page.locator('svg.address-map rect[data-layer="host"][data-kind="msi"][data-start="0x202110000"]');
    expect(await msi.getAttribute('data-end')).toBe('0x20211ffff');
    // Drawn where it is: the overlap and the MSI window lie inside RAM's span on the ruler, and are
    // wide enough to see.
    const [o, r, m] = await Promise.all([overlap.boundingBox(), ram.boundingBox(), msi.boundingBox()]);
    expect(o!.x).toBeGreaterThan(r!.x);
    expect(o!.x + o!.width).toBeLessThan(r!.x + r!.width);
    expect(Math.abs(m!.x - o!.x)).toBeLessThan(1);
    expect(o!.width).toBeGreaterThanOrEqual(20);
    // Every boundary is labelled in hex, the overlap's among them.
    expect(await page.locator('svg.address-map text.tick-label', { hasText: /^0x202110000$/ }).count()).toBe(1);
    await page.locator('#detail').screenshot({ path: screenshotPath('dashboard-drilldown.png') });
  });

  it('shows a guest: destinations, device IOMMU policies and its history as of any event', async () => {
    await page.goto(`${api.url}/dashboard/#/guest/vm-1`);
    await page.waitForSelector('#detail table.destinations');
    expect(await page.locator('#detail table.destinations').innerText()).toContain('host-b');
    const devices = await page.locator('#detail table.devices').innerText();
    expect(devices).toMatch(/net0[\s\S]*on[\s\S]*set on the device/);
    expect(devices).toMatch(/disk0[\s\S]*off[\s\S]*machine default \(rule virt-\*\)/);
    // Its hot-plug reservation's cell, drawn against its current host.
    await page.locator('#detail').getByRole('link', { name: 'vfio-network-1' }).click();
    await page.waitForSelector('#detail svg.address-map');
    expect(await page.locator('#detail h2').innerText()).toContain('vm-1: hot-plug vfio-network-1 on host-a');
    expect(await page.locator('svg.address-map rect[data-kind="overlap"]').count()).toBe(0);
    await page.goBack();
    await page.waitForSelector('#detail table.destinations');
    // Right after GuestDefined the devices were not attached yet.
    await page
      .locator('#detail ol.history li', { hasText: 'GuestDefined' })
      .getByRole('link', { name: /as of event/ })
      .click();
    await page.waitForSelector('#detail .banner');
    expect(await page.locator('#detail .banner').innerText()).toContain('GuestDefined');
    expect(await page.locator('#detail').innerText()).toContain('No devices.');
    await page.screenshot({ path: screenshotPath('dashboard-guest-asof.png'), fullPage: true });
  });

  it('follows new events without a reload', async () => {
    await page.goto(`${api.url}/dashboard/`);
    await page.waitForSelector('#live-status[data-state="live"]');
    await page.getByLabel('Guest id').fill('vm-1');
    await page.getByRole('button', { name: 'Apply' }).click();
    const cell = page.locator('#matrix-grid button.cell[data-guest="vm-1"][data-host="host-b"]');
    await cell.waitFor();
    expect(await cell.getAttribute('data-verdict')).toBe('blocked');
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
    // host-b's firmware update moves the ITS doorbell out of guest RAM.
    const fixed = armExample.replace(
      '{ start: "0x202110000", end: "0x20211ffff", type: msi }',
      '{ start: "0x9000000000", end: "0x900000ffff", type: msi }',
    );
    expect((await api.request('POST', '/v1/fleet', { yaml: fixed })).status).toBe(200);
    await page.waitForSelector('#recent-events li[data-type="ReservedRegionsReported"]');
    await page.waitForFunction(
      () =>
        document
          .querySelector('#matrix-grid button.cell[data-guest="vm-1"][data-host="host-b"]')
          ?.getAttribute('data-verdict') !== 'blocked',
      undefined,
      { timeout: 10_000 },
    );
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1); // same page, no reload
  });

  it('moves a running migration’s progress bar', async () => {
    await page.goto(`${api.url}/dashboard/`);
    await page.waitForSelector('#live-status[data-state="live"]');
    const submitted = await api.request('POST', '/v1/migrations', {
      body: { guestId: 'vm-mover', destinationHostId: 'arm-2' },
    });
    expect(submitted.status).toBe(202);
    const fill = page.locator(`#migrations .progress[data-migration="${submitted.body.id}"] .fill`);
    await fill.waitFor({ state: 'attached', timeout: 15_000 }); // at 0 % it is not "visible" yet
    const widths = new Set<number>();
    const deadline = Date.now() + 40_000;
    while (widths.size < 2 && Date.now() < deadline) {
      widths.add(Math.round(await fill.evaluate((el) => el.getBoundingClientRect().width)));
      await page.waitForTimeout(150);
    }
    await page.locator('#overview').screenshot({ path: screenshotPath('dashboard-migration.png') });
    console.log(`progress bar widths seen (px): ${[...widths].join(', ')}`);
    expect(widths.size).toBeGreaterThanOrEqual(2);
    expect(Math.max(...widths)).toBeGreaterThan(0);
  });

  it('asks for a token when it has none, and works with a viewer token typed in', async () => {
    const bare = await launchBrowser(); // a fresh profile: no token in session storage
    try {
      const fresh = await bare.context.newPage();
      await fresh.goto(`${api.url}/dashboard/`);
      const form = fresh.locator('#token-form');
      await form.waitFor({ state: 'visible', timeout: 10_000 });
      await form.locator('input[name="token"]').fill(await api.issueToken('viewer'));
      await form.locator('button[type="submit"]').click();
      await form.waitFor({ state: 'hidden', timeout: 10_000 });
      await fresh.getByText('vm-mover').first().waitFor({ timeout: 10_000 });
    } finally {
      await bare.close();
    }
  });

  it('raised no errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});

// ---- fleet scale ------------------------------------------------------------------------------
// Ten million matrix cells, computed by the API. Prints how long the overview and the first screenful
// of the matrix take to appear, cold (the API builds its matrix and catches its projections up on that
// first read) and warm, and how long a jump to the middle of the grid takes. The bounds are generous;
// the printed numbers are the point. The whole block takes about 20 s.
const HOSTS = Number(process.env.SCALE_HOSTS ?? 1000);
const GUESTS = Number(process.env.SCALE_GUESTS ?? 10_000);
const CHUNK = 2000;

describe.skipIf(!hasChromium)(`dashboard with ${GUESTS} guests × ${HOSTS} hosts`, { timeout: 120_000 }, () => {
  let backend: TestBackend;
  let api: RunningApp;
  let browser: TestBrowser;
  let page: Page;
  const report: string[] = [];

  beforeAll(async () => {
    backend = appBackend();
    api = await startApp(backend, { bodyLimit: '64mb' });
    const fleet = seededFleet(HOSTS, GUESTS);
    const started = performance.now();
    expect((await api.request('POST', '/v1/fleet', { body: { hosts: fleet.hosts } })).status).toBe(200);
    for (let i = 0; i < fleet.guests.length; i += CHUNK) {
      expect(
        (await api.request('POST', '/v1/fleet', { body: { guests: fleet.guests.slice(i, i + CHUNK) } })).status,
      ).toBe(200);
    }
    report.push(`fleet applied through POST /v1/fleet in ${ms(performance.now() - started)}`);
    browser = await launchBrowser();
    await authorize(api, browser);
    page = await browser.context.newPage();
  });
  afterAll(async () => {
    console.log(`\ndashboard at ${GUESTS} guests × ${HOSTS} hosts:\n  ${report.join('\n  ')}\n`);
    await browser?.close();
    await api?.close();
    await backend?.cleanup();
  });

  /** From navigation to "overview counts drawn and the first screenful of the matrix filled". */
  async function load(): Promise<{ wall: number; page: number }> {
    const started = performance.now();
    await page.goto(`${api.url}/dashboard/`);
    await page.waitForSelector('body[data-load-ms]', { timeout: 60_000 });
    const wall = performance.now() - started;
    return { wall, page: Number(await page.getAttribute('body', 'data-load-ms')) };
  }

  /** The page's second-priority reads (code breakdown, recent events) are done: the API is idle. */
  const settled = () =>
    page.waitForFunction(
      () =>
        !!document.querySelector('#recent-events li') &&
        ![...document.querySelectorAll('#codes-table td[data-col]')].some((td) => td.textContent === '…'),
      undefined,
      { timeout: 60_000 },
    );

  it('loads the overview and the first matrix screen (cold, then warm)', async () => {
    const cold = await load();
    report.push(
      `cold load (first load after the fleet is applied): ${ms(cold.wall)} wall, ${ms(cold.page)} by the page's clock`,
    );
    expect(await page.locator('#overview-cards .card').first().innerText()).toContain(GUESTS.toLocaleString('en-US'));
    expect(await page.locator('#matrix-grid button.cell').count()).toBeGreaterThan(100);
    await settled();
    await page.screenshot({ path: screenshotPath('dashboard-scale.png'), fullPage: true });
    const warm = await load();
    report.push(`warm load: ${ms(warm.wall)} wall, ${ms(warm.page)} by the page's clock`);
    expect(cold.wall).toBeLessThan(15_000);
    expect(warm.wall).toBeLessThan(15_000);
  });

  it('renders only what is visible, wherever the grid is scrolled', async () => {
    const body = page.locator('#matrix-grid .grid-body');
    const started = performance.now();
    await body.evaluate((el) => {
      el.scrollTop = el.scrollHeight / 2;
      el.scrollLeft = el.scrollWidth / 2;
    });
    await page.waitForFunction(
      () => {
        const grid = document.querySelector('#matrix-grid') as HTMLElement;
        return grid.dataset.pending === '0' && !!grid.querySelector('button.cell');
      },
      undefined,
      { timeout: 30_000 },
    );
    report.push(
      `jump to the middle of the grid (row ${GUESTS / 2}, column ${HOSTS / 2}) filled in ${ms(performance.now() - started)}`,
    );
    const elements = await page.locator('#matrix-grid .grid-layer .cell, #matrix-grid .grid-layer .strip').count();
    report.push(`DOM elements in the cell layer: ${elements} (of ${(GUESTS * HOSTS).toLocaleString('en-US')} cells)`);
    expect(elements).toBeLessThan(10_000);
    // A drill-down from here.
    const opened = performance.now();
    await page.locator('#matrix-grid button.cell[data-verdict="blocked"]').first().click();
    await page.waitForSelector('#detail svg.address-map', { timeout: 30_000 });
    report.push(`drill-down with its address-space picture in ${ms(performance.now() - opened)}`);
  });

  it('pages the matching cells through the server (list view, one rule code)', async () => {
    await page.goto(`${api.url}/dashboard/`);
    await page.waitForSelector('body[data-load-ms]', { timeout: 60_000 });
    const started = performance.now();
    await page.getByRole('radio', { name: 'List' }).check();
    await page.getByLabel('Rule code', { exact: true }).selectOption('RESV_OVERLAPS_GUEST_RAM');
    await page.waitForFunction(
      () => /of [\d,]+$/.test(document.querySelector('#matrix-list .pager-info')?.textContent ?? ''),
      undefined,
      { timeout: 30_000 },
    );
    const info = await page.locator('#matrix-list .pager-info').innerText();
    report.push(`list view filtered by RESV_OVERLAPS_GUEST_RAM: ${info} in ${ms(performance.now() - started)}`);
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.waitForFunction(
      () => (document.querySelector('#matrix-list .pager-info')?.textContent ?? '').startsWith('cells 101–'),
      undefined,
      { timeout: 30_000 },
    );
  });
});

const ms = (n: number) => `${Math.round(n).toLocaleString('en-US')} ms`;
