import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium, type BrowserContext } from 'playwright-core';

import { PROJECT_ROOT } from '../../scripts/lib/local-services';
import { QUEUE_NAMES } from '../../src/adapters/queue/queue-names';
import { DEV_ADMIN_PASSWORD } from '../../src/config';
import { startHarness, TEST_PASSWORD, type Harness } from '../support/harness';

/**
 * An operator opens Bull Board in a real headless Chromium after a burst: with credentials they see the
 * completed voucher-issue jobs; without, the server refuses them. A developer opens the API page at /docs.
 * Screenshots are kept in artifacts/.
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
  server = createServer(h.api.listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  for (const profile of profiles) rmSync(profile, { recursive: true, force: true });
  await h?.close();
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
    // A script, style or font the content policy blocked, or a request that failed, shows here.
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('requestfailed', (request) => problems.push(`${request.url()} ${request.failure()?.errorText}`));
    page.on('request', (request) => {
      if (!request.url().startsWith(`${baseUrl}/`)) problems.push(`request to another host: ${request.url()}`);
    });
    const response = await page.goto(`${baseUrl}/admin/queues/queue/voucher-issue?status=completed`);
    expect(response?.status()).toBe(200);
    // Bull Board renders in the browser from its API: wait for the job cards of the completed list.
    await page.locator('text=/v-[0-9a-f]{32}/').first().waitFor({ timeout: 30_000 });
    const jobIds = await page.locator('text=/v-[0-9a-f]{32}/').allTextContents();
    expect(jobIds.length).toBeGreaterThan(0);
    expect(await page.getByText(QUEUE_NAMES.voucherIssue).count()).toBeGreaterThan(0);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'bull-board-completed.png'), fullPage: true });
    expect(problems).toEqual([]);
  } finally {
    await browser.close();
  }
});

test('the API page at /docs renders every operation from this server alone', async () => {
  const browser = await openBrowser();
  try {
    const page = await browser.newPage();
    const elsewhere: string[] = [];
    const failed: string[] = [];
    const errors: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(`${baseUrl}/`)) elsewhere.push(request.url());
    });
    page.on('requestfailed', (request) => failed.push(`${request.url()} ${request.failure()?.errorText}`));
    page.on('response', (response) => {
      if (response.status() >= 400) failed.push(`${response.url()} ${response.status()}`);
    });
    // A script or style the content policy blocked is a console error.
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));

    const response = await page.goto(`${baseUrl}/docs`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toMatch(/default-src 'none'.*script-src 'self'/);
    // Swagger UI renders in the browser from /openapi.json: wait for the operations, one block each.
    await page.locator('.opblock-summary-operation-id', { hasText: 'loginToCampaign' }).waitFor({ timeout: 30_000 });
    const spec = (await (await page.request.get(`${baseUrl}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { operationId: string }>>;
    };
    const operationIds = Object.values(spec.paths).flatMap((ops) =>
      Object.entries(ops)
        .filter(([key]) => key !== 'parameters')
        .map(([, op]) => op.operationId),
    );
    expect(await page.locator('.opblock-summary-operation-id').allTextContents()).toEqual(operationIds);
    expect(await page.locator('.errors-wrapper').count()).toBe(0); // Swagger UI found nothing wrong
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'api-docs.png') });

    // The login, opened: its bearer lock and its answers, 429 with Retry-After among them.
    const login = page.locator('.opblock', {
      has: page.locator('.opblock-summary-operation-id', { hasText: 'loginToCampaign' }),
    });
    await login.locator('.opblock-summary').first().click();
    await login.locator('.responses-table .response[data-code="429"]').waitFor({ timeout: 10_000 });
    await login.screenshot({ path: join(ARTIFACTS, 'api-docs-login.png') });

    expect({ elsewhere, failed, errors }).toEqual({ elsewhere: [], failed: [], errors: [] });
  } finally {
    await browser.close();
  }
});
