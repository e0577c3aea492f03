import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { HTTP_STATUS } from '../../src/adapters/http/error-status';
import { ERROR_CODES, type ErrorCode } from '../../src/errors';

const root = join(__dirname, '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
  .scripts;

test('the README documents every errorCode with the HTTP status the API really uses', () => {
  const documented = new Map<string, number>();
  for (const [, code, status] of readme.matchAll(/^\| `([A-Z_]+)`\s*\|\s*(\d{3})\s*\|/gm)) {
    documented.set(code as string, Number(status));
  }
  const expected = new Map(Object.keys(ERROR_CODES).map((code) => [code, HTTP_STATUS[code as ErrorCode]]));
  expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(expected));
});

test('every npm script the README mentions exists', () => {
  const mentioned = new Set([...readme.matchAll(/npm run ([a-z:-]+)/g)].map(([, name]) => name as string));
  expect(mentioned.size).toBeGreaterThan(3);
  for (const name of mentioned) expect(Object.keys(scripts)).toContain(name);
});
