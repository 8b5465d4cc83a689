// /docs in Chromium: Swagger UI renders every operation of the served document, with its role,
// its error answers and its request example.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appBackend, type TestBackend } from './support/backends.js';
import { startApp, type RunningApp } from './support/app.js';
import { CHROMIUM_PATH, hasChromium, launchBrowser, type TestBrowser } from './support/browser.js';

if (!hasChromium) console.warn(`/docs browser test skipped: ${CHROMIUM_PATH} is missing (apt-get install -y chromium)`);

describe.skipIf(!hasChromium)('/docs in Chromium', { timeout: 60_000 }, () => {
  let backend: TestBackend;
  let api: RunningApp;
  let browser: TestBrowser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    backend = appBackend();
    api = await startApp(backend);
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${api.url}/docs`);
  });
  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await backend?.cleanup();
  });

  it('lists every operation of the document', async () => {
    const doc = (await api.request('GET', '/docs/openapi.json', { token: null })).body;
    const operations = Object.values(doc.paths as Record<string, object>).flatMap((methods) => Object.keys(methods));
    await page.waitForSelector('.opblock');
    expect(await page.locator('.opblock').count()).toBe(operations.length);
  });

  it('shows an operation’s role, its error answers and its request example', async () => {
    const cordon = page.locator('#operations-hosts-cordonHost');
    await cordon.locator('.opblock-summary').click();
    await cordon.locator('.opblock-body').waitFor();
    const text = await cordon.innerText();
    expect(text).toContain('Requires the admin role');
    for (const status of ['400', '401', '403', '404', '409', '412', '413', '422', '429', '503'])
      expect(text, status).toContain(status);
    expect(text).toContain('firmware update');
    expect(pageErrors).toEqual([]);
  });
});
