import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium, type BrowserContext } from 'playwright-core';

import { PROJECT_ROOT } from '../../scripts/lib/local-services';
import { DEV_ADMIN_PASSWORD } from '../../src/config';
import { startHarness, TEST_PASSWORD, type Harness } from '../support/harness';

/**
 * An operator opens Bull Board in a real headless Chromium after a burst: with credentials they see the
 * completed voucher-issue jobs; without, the server refuses them. A screenshot is kept in artifacts/.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(PROJECT_ROOT, 'artifacts');
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
let h: Harness;
let server: Server;
let baseUrl: string;
const profiles: string[] = [];

/** A fresh Chromium with a fresh profile (--user-data-dir), optionally answering Basic challenges. */
async function openBrowser(httpCredentials?: { username: string; password: string }): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), 'promo-chromium-'));
  profiles.push(profile);
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: FLAGS,
    viewport: { width: 1440, height: 1000 },
    ...(httpCredentials === undefined ? {} : { httpCredentials }),
  });
}

beforeAll(async () => {
  h = await startHarness();
  await h.registerUsers(30);
  await h.saveCampaign('board', { limit: 10 });
  await h.startWorker();
  await Promise.all(Array.from({ length: 30 }, (_, i) => h.login(`user${i + 1}`, TEST_PASSWORD, 'board')));
  await h.drainQueue();
  server = createServer(h.api.app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  for (const profile of profiles) rmSync(profile, { recursive: true, force: true });
  await h.close();
});

test('without credentials the board is refused', async () => {
  const browser = await openBrowser();
  try {
    const page = await browser.newPage();
    const statuses: number[] = [];
    page.on('response', (response) => statuses.push(response.status()));
    // Headless Chromium cannot ask for the password the 401 challenge wants, so navigation fails.
    await expect(page.goto(`${baseUrl}/admin/queues`)).rejects.toThrow(/ERR_INVALID_AUTH_CREDENTIALS/);
    expect(statuses).toEqual([401]);
    const api = await page.request.get(`${baseUrl}/admin/queues/api/queues`);
    expect(api.status()).toBe(401);
    expect(await api.json()).toMatchObject({ status: false, errorCode: 'ADMIN_UNAUTHORIZED' });
  } finally {
    await browser.close();
  }
});

test('with credentials the operator sees the completed voucher-issue jobs', async () => {
  const browser = await openBrowser({ username: 'admin', password: DEV_ADMIN_PASSWORD });
  try {
    const page = await browser.newPage();
    const response = await page.goto(`${baseUrl}/admin/queues/queue/voucher-issue?status=completed`);
    expect(response?.status()).toBe(200);
    // Bull Board renders in the browser from its API: wait for the job cards of the completed list.
    await page.locator('text=/v-[0-9a-f]{32}/').first().waitFor({ timeout: 30_000 });
    const jobIds = await page.locator('text=/v-[0-9a-f]{32}/').allTextContents();
    expect(jobIds.length).toBeGreaterThan(0);
    expect(await page.getByText('voucher-issue').count()).toBeGreaterThan(0);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'bull-board-completed.png'), fullPage: true });
  } finally {
    await browser.close();
  }
});
