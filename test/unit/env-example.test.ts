import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { CONFIG_VARIABLES } from '../../src/config';

/** `.env.example` says it lists every setting: each variable the configuration reads, set or commented out. */
const example = readFileSync(join(__dirname, '../../.env.example'), 'utf8');
const listed = [...example.matchAll(/^#? ?([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1] as string);

test('.env.example names every variable the configuration reads', () => {
  expect(CONFIG_VARIABLES.length).toBeGreaterThan(40);
  expect(CONFIG_VARIABLES.filter((name) => !listed.includes(name))).toEqual([]);
});

test('.env.example names no variable the configuration does not read, and each once', () => {
  expect(listed.filter((name) => !CONFIG_VARIABLES.includes(name))).toEqual([]);
  expect(listed.filter((name, i) => listed.indexOf(name) !== i)).toEqual([]);
});
