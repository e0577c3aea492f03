import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { createMetrics } from '../../src/adapters/http/metrics';
import { createWorkerMetrics } from '../../workers/worker-metrics';

/** The README's Metrics section: every metric the API or a worker registers is named there, and nothing else. */
const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
const section = readme.slice(readme.indexOf('### Metrics'), readme.indexOf('\nLogs are JSON lines'));
const documented = new Set([...section.matchAll(/`((?:promotion|process|nodejs)_[a-z0-9_]+)`/g)].map((m) => m[1]));

async function registered(): Promise<string[]> {
  const api = createMetrics({ queues: [], checks: [], checkTimeoutMs: 100 }).registry;
  const worker = createWorkerMetrics([], [], 100).registry;
  const metrics = [...(await api.getMetricsAsJSON()), ...(await worker.getMetricsAsJSON())];
  return [...new Set(metrics.map((metric) => metric.name))];
}

test('the README documents every metric the API and the worker register', async () => {
  const names = await registered();
  expect(names.length).toBeGreaterThan(40);
  expect(names.filter((name) => !documented.has(name))).toEqual([]);
});

test('the README documents no metric that is not registered', async () => {
  const names = new Set(await registered());
  expect([...documented].filter((name) => !names.has(name as string))).toEqual([]);
});
