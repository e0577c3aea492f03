import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { startHarness, TEST_PASSWORD, type Harness } from '../support/harness';

/**
 * The Grafana dashboard and the Prometheus alert rules in docs/ name only metrics that a running API and
 * worker export, and the rules pass promtool's check and their unit tests.
 */
const DOCS = join(__dirname, '../../docs');
const METRIC = /\b((?:promotion|process|nodejs)_[a-z0-9_]+)\b/g;
const named = (file: string) => [...readFileSync(join(DOCS, file), 'utf8').matchAll(METRIC)].map((m) => m[1] as string);

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await h.registerUsers(1);
  await h.saveCampaign('dash', { limit: 1 });
});
afterAll(async () => {
  await h?.close();
});

/** True when the exposition text has the metric: a sample of it, or its HELP line (histogram series too). */
function exported(text: string, name: string): boolean {
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return text.includes(`\n${name}{`) || text.includes(`\n${name} `) || text.includes(`# HELP ${base} `);
}

test('every metric the dashboard and the alert rules use is exported by the running API or worker', async () => {
  await h.login('user1', TEST_PASSWORD, 'dash');
  const worker = await h.startWorker();
  const api = (await h.metricsHttp.get('/metrics')).text;
  const workerText = await (await fetch(`http://127.0.0.1:${worker.port}/metrics`)).text();
  const names = [...new Set([...named('grafana-dashboard.json'), ...named('prometheus-alerts.yml')])];
  expect(names.length).toBeGreaterThan(12);
  expect(names.filter((name) => !exported(api, name) && !exported(workerText, name))).toEqual([]);
  // Not vacuous: some are the worker's alone, some the API's alone.
  expect(names.some((name) => exported(workerText, name) && !exported(api, name))).toBe(true);
  expect(names.some((name) => exported(api, name) && !exported(workerText, name))).toBe(true);
});

describe('promtool (Debian package prometheus; `npm test` installs it when missing)', () => {
  const promtool = (...args: string[]) => spawnSync('promtool', args, { cwd: DOCS, encoding: 'utf8' });

  test('the alert rules pass `promtool check rules`', () => {
    const result = promtool('check', 'rules', 'prometheus-alerts.yml');
    expect(result.error).toBeUndefined();
    expect(`${result.stdout}${result.stderr}`).toContain('SUCCESS: 7 rules found');
    expect(result.status).toBe(0);
  });

  test('the alert rules pass their unit tests (`promtool test rules`)', () => {
    const result = promtool('test', 'rules', 'prometheus-alerts.test.yml');
    expect(result.error).toBeUndefined();
    expect(`${result.stdout}${result.stderr}`).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });
});
