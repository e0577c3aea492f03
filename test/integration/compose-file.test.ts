import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';

import { parseDocument } from 'yaml';

import { loadConfig, type Config } from '../../src/config';
import { startHarness, type Harness } from '../support/harness';
import { runProcess, type ScriptResult } from '../support/run-script';
import { testRedisUrl, uniqueTag } from '../support/test-env';

/**
 * docker-compose.yml and the Dockerfile, checked without Docker (no engine runs on our machines): each app
 * container's environment passes the production rules; every command the stack, the image and the docs
 * run exists in the build the Dockerfile makes and accepts its arguments; the seed step seeds; every
 * healthcheck probes a route the real API or worker serves; the image's Node major is CI's; the private
 * listeners are not published. COMPOSE_FILE_UNDER_TEST and DOCKERFILE_UNDER_TEST point it at other
 * versions of the two files (that is how it was shown to fail on the ones it replaced).
 */
const ROOT = resolve(__dirname, '../..');
const COMPOSE_FILE = process.env.COMPOSE_FILE_UNDER_TEST ?? join(ROOT, 'docker-compose.yml');
const DOCKERFILE = process.env.DOCKERFILE_UNDER_TEST ?? join(ROOT, 'Dockerfile');
/** Where operators read the commands they run. */
const DOCS = ['README.md', 'docs/runbook.md'];
const read = (path: string) => readFileSync(resolve(ROOT, path), 'utf8');

// ---------------------------------------------------------------------------------------------------------
// YAML, as compose reads it: merge keys (`<<`) on, duplicate keys refused.

type Yaml = null | boolean | number | string | Yaml[] | YamlMap;
interface YamlMap {
  [key: string]: Yaml;
}

const isMap = (value: Yaml | undefined): value is YamlMap =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function parseYaml(source: string, file: string): Yaml {
  const document = parseDocument(source, { merge: true, uniqueKeys: true, prettyErrors: true });
  if (document.errors.length > 0) throw new Error(`${file}: ${document.errors.map((e) => e.message).join('; ')}`);
  return document.toJS({ maxAliasCount: 100 }) as Yaml;
}

// ---------------------------------------------------------------------------------------------------------
// Compose's own rules: interpolation, env files, commands.

/** Compose interpolates every string of the file from the shell and the project's .env. */
function interpolate(value: Yaml, vars: Readonly<Record<string, string>>): Yaml {
  if (typeof value === 'string') {
    return value.replace(
      /\$(?:\$|\{([^}]*)\}|([A-Za-z_]\w*))/g,
      (all: string, braced: string | undefined, bare: string | undefined): string => {
        if (all === '$$') return '$';
        if (bare !== undefined) return vars[bare] ?? '';
        const match = /^([A-Za-z_]\w*)(?:(:?)([-?+])(.*))?$/s.exec(braced ?? '');
        if (match === null || match[4]?.includes('$')) throw new Error(`interpolation this test does not read: ${all}`);
        const [, name = '', colon, operator, argument = ''] = match;
        const set = Object.hasOwn(vars, name);
        const present = colon === ':' ? set && vars[name] !== '' : set;
        if (operator === undefined) return vars[name] ?? '';
        if (operator === '-') return present ? vars[name]! : argument;
        if (operator === '+') return present ? argument : '';
        if (!present) throw new Error(`compose refuses: ${name}: ${argument}`);
        return vars[name]!;
      },
    );
  }
  if (Array.isArray(value)) return value.map((item) => interpolate(item, vars));
  if (isMap(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, vars)]));
  return value;
}

/** An env file as compose reads it: KEY=VALUE lines, # comments, optional quotes. */
function parseEnvFile(text: string, file: string): Record<string, string> {
  const vars: Record<string, string> = {};
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = /^(?:export\s+)?([A-Za-z_][\w.-]*)\s*=\s*(.*)$/.exec(line);
    if (match === null) throw new Error(`${file}:${i + 1}: not KEY=VALUE`);
    const [, name = '', written = ''] = match;
    let value = written;
    if (/^'[^']*'$/.test(value)) value = value.slice(1, -1);
    else if (/^"(?:[^"\\]|\\.)*"$/.test(value)) value = JSON.parse(value) as string;
    else if (/^['"]/.test(value) || value.includes('$'))
      throw new Error(`${file}:${i + 1}: a value this test does not read`);
    else value = value.replace(/\s+#.*$/, '');
    vars[name] = value;
  });
  return vars;
}

const PLACEHOLDER = 'change-me';
/** A strong secret for a placeholder, as `openssl rand` would give (fixed per name: no flaky draws). */
const strongSecret = (name: string) => createHash('sha256').update(`compose-file.test ${name}`).digest('base64url');

/**
 * The .env an operator makes: `cp .env.example .env`, then every `NAME=change-me` filled with a strong
 * secret (`optional`: the commented-out `# NAME=change-me` lines too, uncommented). Unfilled: as copied.
 */
function operatorDotEnv(fill: 'none' | 'required' | 'optional'): string {
  return read('.env.example')
    .split('\n')
    .map((line) => {
      const match = /^(# ?)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
      if (match === null || match[3] !== PLACEHOLDER || fill === 'none') return line;
      if (match[1] !== undefined && fill !== 'optional') return line;
      return `${match[2]}=${strongSecret(match[2]!)}`;
    })
    .join('\n');
}

/** Compose's words for a string command: split like a shell would, up to its first operator or comment. */
function shellWords(text: string): string[] {
  const words: string[] = [];
  for (const match of text.matchAll(/'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)/g)) {
    const bare = match[3];
    if (bare !== undefined && /^(?:#|&&|\|\||[|;<>]|\d?>)/.test(bare)) break;
    words.push(match[1] ?? (match[2] !== undefined ? (JSON.parse(`"${match[2]}"`) as string) : bare!));
  }
  return words;
}

function argvOf(value: Yaml | undefined, what: string): string[] {
  if (typeof value === 'string') return shellWords(value);
  if (Array.isArray(value) && value.every((item) => ['string', 'number'].includes(typeof item))) {
    return value.map(String);
  }
  throw new Error(`${what}: a command is a string or a list of strings`);
}

// ---------------------------------------------------------------------------------------------------------
// The Dockerfile.

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  name: string | null;
  image: string;
  instructions: Instruction[];
}
interface Copy {
  from: string | null;
  sources: string[];
  dest: string;
}

function readDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#')) continue; // comments, also between continued lines (Docker drops them there)
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const whole = (pending + line).trim();
    pending = '';
    if (whole !== '') logical.push(whole);
  }
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line)!;
    if (keyword.toUpperCase() === 'FROM') {
      const from = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (from === null) throw new Error(`Dockerfile: FROM ${args}`);
      const image = from[1]!.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a?: string, b?: string) => globalArgs[a ?? b!] ?? '');
      stages.push({ name: from[2] ?? null, image, instructions: [] });
    } else if (stages.length === 0) {
      const arg = /^(\w+)(?:=(.*))?$/.exec(args);
      if (keyword.toUpperCase() === 'ARG' && arg !== null) globalArgs[arg[1]!] = arg[2] ?? '';
    } else {
      stages.at(-1)!.instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return stages;
}

const instructions = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);
const lastOf = (stage: Stage, keyword: string) => instructions(stage, keyword).at(-1)?.args;
const execForm = (args: string): string[] =>
  args.startsWith('[') ? (JSON.parse(args) as string[]) : ['/bin/sh', '-c', args];

function copies(stage: Stage): Copy[] {
  return instructions(stage, 'COPY').map(({ args }) => {
    const words = args.split(/\s+/);
    const flags = words.filter((word) => word.startsWith('--'));
    const paths = words.filter((word) => !word.startsWith('--'));
    const from = flags.find((flag) => flag.startsWith('--from='))?.slice('--from='.length) ?? null;
    return { from, sources: paths.slice(0, -1), dest: paths.at(-1) ?? '' };
  });
}

/** The image's HEALTHCHECK command (exec or shell form), null for none. */
function imageHealthcheck(stage: Stage): string[] | null {
  const args = lastOf(stage, 'HEALTHCHECK');
  if (args === undefined) return null;
  const match = /^(?:--\S+\s+)*(CMD|NONE)\s*(.*)$/i.exec(args);
  if (match === null || match[1]!.toUpperCase() === 'NONE') return null;
  return execForm(match[2]!);
}

function imageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { args } of instructions(stage, 'ENV')) {
    if (!args.includes('=')) {
      const [name = '', ...value] = args.split(/\s+/);
      env[name] = value.join(' ');
    } else {
      for (const pair of args.split(/\s+/)) env[pair.split('=')[0]!] = pair.split('=').slice(1).join('=');
    }
  }
  return env;
}

// ---------------------------------------------------------------------------------------------------------
// The stack as compose would run it.

const stages = readDockerfile(readFileSync(DOCKERFILE, 'utf8'));
const finalStage = stages.at(-1)!;
const stageNamed = (name: string) => stages.find((stage) => stage.name === name);
const composeText = readFileSync(COMPOSE_FILE, 'utf8');

/** The compose file interpolated with this .env (the shell sets none of its variables). */
function composeWith(dotEnv: string): Record<string, YamlMap> {
  const document = interpolate(parseYaml(composeText, 'docker-compose.yml'), parseEnvFile(dotEnv, '.env'));
  if (!isMap(document) || !isMap(document.services)) throw new Error('docker-compose.yml: no services');
  const services: Record<string, YamlMap> = {};
  for (const [name, service] of Object.entries(document.services)) {
    if (!isMap(service)) throw new Error(`service ${name}: not a mapping`);
    services[name] = service;
  }
  return services;
}

const filledDotEnv = operatorDotEnv('required');
const services = composeWith(filledDotEnv);
/** The services built from our Dockerfile. */
const appServices = Object.keys(services).filter((name) => services[name]!.build !== undefined);

function envFiles(service: YamlMap): { path: string; required: boolean }[] {
  const list =
    service.env_file === undefined ? [] : Array.isArray(service.env_file) ? service.env_file : [service.env_file];
  return list.map((entry) => {
    const path = isMap(entry) ? entry.path : entry;
    if (typeof path !== 'string') throw new Error('env_file: a path');
    return { path: path.replace(/^\.\//, ''), required: isMap(entry) ? entry.required !== false : true };
  });
}

/** The container's environment: the image's ENV, then the env files in order, then `environment`. */
function containerEnv(service: YamlMap, dotEnv: string): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...imageEnv(finalStage) };
  for (const file of envFiles(service)) {
    if (file.path === '.env') Object.assign(env, parseEnvFile(dotEnv, '.env'));
    else if (existsSync(join(ROOT, file.path))) Object.assign(env, parseEnvFile(read(file.path), file.path));
    else if (file.required) throw new Error(`compose stops: env file ${file.path} not found`);
  }
  const environment = service.environment ?? {};
  const entries: [string, Yaml][] = Array.isArray(environment)
    ? environment.map((item) => {
        const [name = '', ...value] = String(item).split('=');
        return [name, value.length === 0 ? null : value.join('=')];
      })
    : Object.entries(environment as YamlMap);
  // A name without a value passes the shell's through: this shell has none.
  for (const [name, value] of entries) env[name] = value === null ? undefined : String(value);
  return env;
}

/** The reason the configuration refuses this environment, or null. */
function refusal(env: Record<string, string | undefined>): string | null {
  try {
    loadConfig(env);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Ports and hosts do not depend on the production refusals: read them even where those refuse. */
const listenersOf = (env: Record<string, string | undefined>): Config =>
  loadConfig({ ...env, NODE_ENV: 'development', ADMIN_PASSWORD: undefined });

/** What the container runs: the service's entrypoint and command over the image's (`run` arguments replace the command). */
function containerArgv(service: YamlMap, runArgs: string[] = []): string[] {
  const entrypoint =
    service.entrypoint !== undefined
      ? argvOf(service.entrypoint, 'entrypoint')
      : execFormOrEmpty(lastOf(finalStage, 'ENTRYPOINT'));
  if (runArgs.length > 0) return [...entrypoint, ...runArgs];
  if (service.command !== undefined) return [...entrypoint, ...argvOf(service.command, 'command')];
  // An entrypoint set by the service drops the image's CMD.
  return service.entrypoint !== undefined ? entrypoint : [...entrypoint, ...execFormOrEmpty(lastOf(finalStage, 'CMD'))];
}
const execFormOrEmpty = (args: string | undefined) => (args === undefined ? [] : execForm(args));

type Kind = 'api' | 'worker' | 'other';
function kindOf(argv: string[]): Kind {
  if (argv.includes('dist/src/main.js')) return 'api';
  if (argv.includes('dist/workers/main.js')) return 'worker';
  return 'other';
}

/** The service's probe: its own healthcheck, or the image's; null when disabled or none. */
function probeOf(service: YamlMap): string[] | null {
  const healthcheck = service.healthcheck;
  if (healthcheck === undefined) return imageHealthcheck(finalStage);
  if (!isMap(healthcheck)) throw new Error('healthcheck: a mapping');
  if (healthcheck.disable === true) return null;
  if (healthcheck.test === undefined) return imageHealthcheck(finalStage);
  if (typeof healthcheck.test === 'string') return ['/bin/sh', '-c', healthcheck.test];
  const [form, ...rest] = argvOf(healthcheck.test, 'healthcheck.test');
  if (form === 'NONE') return null;
  if (form === 'CMD') return rest;
  if (form === 'CMD-SHELL') return ['/bin/sh', '-c', rest.join(' ')];
  throw new Error(`healthcheck.test starts with ${String(form)}`);
}

/** A probe's argv as its words: a shell form's command split up. */
const probeWords = (argv: string[]) => (argv[0] === '/bin/sh' ? shellWords(argv[2] ?? '') : argv);
const probeUrl = (argv: string[]) => new URL(probeWords(argv).find((word) => /^https?:\/\//.test(word)) ?? 'none:');

function durationMs(value: Yaml | undefined, fallbackMs: number): number {
  if (value === undefined) return fallbackMs;
  const parts = [...String(value).matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.length === 0) throw new Error(`a duration: ${String(value)}`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
  return parts.reduce((sum, [, n, u]) => sum + Number(n) * unit[u as keyof typeof unit], 0);
}

/** The container ports a service publishes on the host. */
function publishedPorts(service: YamlMap): number[] {
  const ports = Array.isArray(service.ports) ? service.ports : [];
  return ports.flatMap((entry) => {
    if (isMap(entry)) return [Number(entry.target)];
    const container = String(entry)
      .replace(/\/\w+$/, '')
      .split(':')
      .at(-1)!;
    const [low = 0, high = low] = container.split('-').map(Number);
    return Array.from({ length: high - low + 1 }, (_, i) => low + i);
  });
}

// ---------------------------------------------------------------------------------------------------------
// Commands named in the docs.

interface Named {
  source: string;
  argv: string[];
}

/** Every `node dist/….js …` in the docs (with the arguments written after it) and in package.json. */
function nodeCommandsInDocs(): Named[] {
  const found: Named[] = [];
  const texts: [string, string][] = [...DOCS.map((file): [string, string] => [file, read(file)])];
  const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
  for (const [name, script] of Object.entries(scripts)) texts.push([`package.json scripts.${name}`, script]);
  for (const [source, text] of texts) {
    for (const match of text.matchAll(/\bnode (dist\/[^\s`'"]*)([^`\n]*)/g)) {
      // `dist/scripts/<name>.js`, `dist/scripts/…`, `[--campaign <id>]`: a pattern, not a command.
      if (!/^dist\/[\w./-]+\.js$/.test(match[1]!) || /\s[<[]/.test(match[2]!)) continue;
      found.push({ source, argv: ['node', match[1]!, ...shellWords(match[2]!)] });
    }
  }
  return found;
}

interface ComposeCommand {
  source: string;
  text: string;
  /** `<id>`, `[--password <pw>]`: a pattern to read, not a command to run. */
  pattern: boolean;
  subcommand: string;
  services: string[];
  /** For run and exec: the words after the service. */
  args: string[];
}

const VALUE_FLAGS = new Set(
  '-f --file -p --project-name --profile --env-file --project-directory -e --env -u --user -w --workdir --name --entrypoint --publish -v --volume -l --label --scale --index -t --timeout'.split(
    ' ',
  ),
);

/** Every `docker compose …` in the docs and in the compose file's own comments. */
function composeCommandsInDocs(): ComposeCommand[] {
  const texts: [string, string][] = [...DOCS.map((file): [string, string] => [file, read(file)])];
  texts.push(['docker-compose.yml', composeText]);
  const found: ComposeCommand[] = [];
  for (const [source, text] of texts) {
    for (const match of text.matchAll(/docker compose ([^`\n]*)/g)) {
      const words = shellWords(match[1]!);
      let i = 0;
      const skipFlags = () => {
        while (words[i]?.startsWith('-')) i += VALUE_FLAGS.has(words[i]!) ? 2 : 1;
      };
      skipFlags();
      const subcommand = words[i] ?? '';
      i += 1;
      const pattern = /\s[<[]/.test(match[0]);
      const command: ComposeCommand = { source, text: match[0], pattern, subcommand, services: [], args: [] };
      if (subcommand === 'run' || subcommand === 'exec') {
        skipFlags();
        command.services = words[i] === undefined ? [] : [words[i]!];
        command.args = words.slice(i + 1);
      } else {
        for (; i < words.length; i += 1) {
          const word = words[i]!;
          if (word === '--scale') command.services.push(words[(i += 1)]!.split('=')[0]!);
          else if (VALUE_FLAGS.has(word)) i += 1;
          else if (!word.startsWith('-')) command.services.push(word);
        }
      }
      found.push(command);
    }
  }
  return found;
}

/** What a documented compose command runs in its container (null: it runs no command of ours). */
function containerArgvOf(command: ComposeCommand): string[] | null {
  const service = services[command.services[0] ?? ''];
  if (service === undefined || command.pattern) return null;
  if (command.subcommand === 'exec') return command.args;
  if (command.subcommand === 'run') return containerArgv(service, command.args);
  return null;
}

// ---------------------------------------------------------------------------------------------------------
// Running things.

type Ran = ScriptResult;

const run = (command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<Ran> =>
  runProcess(command, args, { cwd, env, timeoutMs });

/** Runs a container argv (`node dist/…`) against the build, with `/app` as the working directory. */
function runInImage(app: string, argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<Ran> {
  if (argv[0] !== 'node') throw new Error(`the image has node, not ${String(argv[0])}: ${argv.join(' ')}`);
  return run(process.execPath, argv.slice(1), app, env);
}

/**
 * The build stage the final image copies dist/ from, replayed in a temporary /app: its COPY lines from the
 * repository, the installed node_modules linked in place of its `npm ci`, then package.json's build script
 * (tsc with --noCheck: the same files out; type checking is `npm run typecheck`'s job in the same
 * `npm test`). Nothing lands in the repository's own dist/.
 */
async function replayBuildStage(tmp: string): Promise<string> {
  const from = copies(finalStage).find((copy) => /^(?:\/app\/)?dist\/?$/.test(copy.dest))?.from ?? null;
  const stage = from === null ? undefined : stageNamed(from);
  if (stage === undefined) throw new Error('the final stage copies dist/ from no build stage');
  if (!instructions(stage, 'RUN').some((i) => /\bnpm run build\b/.test(i.args))) {
    throw new Error(`stage ${String(stage.name)} runs no npm run build`);
  }
  const app = join(tmp, 'app');
  mkdirSync(app);
  for (const copy of copies(stage)) {
    if (copy.from !== null) continue;
    for (const source of copy.sources) {
      const from = join(ROOT, source);
      if (!existsSync(from)) throw new Error(`COPY ${source}: not in the repository`);
      const dir = copy.dest.endsWith('/') || copy.dest === '.' || copy.sources.length > 1;
      const to = statSync(from).isDirectory() || !dir ? join(app, copy.dest) : join(app, copy.dest, basename(source));
      cpSync(from, to, { recursive: true });
    }
  }
  symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'), 'dir');
  const packageJson = join(app, 'package.json');
  if (!existsSync(packageJson)) throw new Error('the build stage copies no package.json');
  const script = (JSON.parse(readFileSync(packageJson, 'utf8')) as { scripts: { build: string } }).scripts.build;
  const env = { ...process.env, PATH: `${join(app, 'node_modules/.bin')}:${process.env.PATH ?? ''}` };
  const built = await run('sh', ['-c', script.replace(/^tsc /, 'tsc --noCheck ')], app, env, 170_000);
  if (built.code !== 0) throw new Error(`the build failed:\n${built.stdout}${built.stderr}`);
  return app;
}

// ---------------------------------------------------------------------------------------------------------

describe('docker-compose.yml and the Dockerfile, read (no Docker engine runs here)', () => {
  test('the stack: api, worker, a one-shot seed step, mongo:7 and redis:7 (append-only, noeviction)', () => {
    const kinds = Object.fromEntries(appServices.map((name) => [name, kindOf(containerArgv(services[name]!))]));
    expect(Object.values(kinds)).toEqual(expect.arrayContaining(['api', 'worker']));
    const seeders = appServices.filter((name) => containerArgv(services[name]!).includes('dist/scripts/seed.js'));
    expect({ seeders, profiles: seeders.map((name) => services[name]!.profiles ?? null) }).toEqual({
      seeders: [expect.any(String)],
      profiles: [expect.arrayContaining([expect.any(String)])],
    });
    expect(services.mongo?.image).toBe('mongo:7');
    expect(services.redis?.image).toBe('redis:7');
    const redis = argvOf(services.redis?.command, 'redis command').join(' ');
    expect(redis).toContain('--appendonly yes');
    expect(redis).toContain('--maxmemory-policy noeviction');
    for (const name of appServices) {
      expect({ name, depends_on: services[name]!.depends_on }).toEqual({
        name,
        depends_on: {
          mongo: { condition: 'service_healthy' },
          redis: { condition: 'service_healthy' },
        },
      });
    }
    expect([services.mongo?.healthcheck, services.redis?.healthcheck]).toEqual([
      expect.any(Object),
      expect.any(Object),
    ]);
  });

  test('each app service takes its secrets from .env (env_file, required) and reaches the compose mongo and redis', () => {
    const defaults = loadConfig({});
    for (const name of appServices) {
      const env = containerEnv(services[name]!, filledDotEnv);
      expect({ name, envFiles: envFiles(services[name]!) }).toEqual({
        name,
        envFiles: [{ path: '.env', required: true }],
      });
      expect({
        name,
        mongo: new URL(env.MONGO_URL ?? defaults.mongo.url).hostname,
        redis: new URL(env.REDIS_URL ?? defaults.redis.url).hostname,
        cluster: env.REDIS_CLUSTER_NODES,
      }).toEqual({ name, mongo: 'mongo', redis: 'redis', cluster: undefined });
    }
  });

  test("each app service's environment passes loadConfig under the production rules, .env.example's placeholders filled", () => {
    expect(read('.env.example')).toMatch(new RegExp(`^ADMIN_PASSWORD=${PLACEHOLDER}$`, 'm'));
    for (const fill of ['required', 'optional'] as const) {
      const dotEnv = operatorDotEnv(fill);
      const stack = composeWith(dotEnv);
      for (const name of appServices) {
        const env = containerEnv(stack[name]!, dotEnv);
        expect({ name, fill, NODE_ENV: env.NODE_ENV, refused: refusal(env) }).toEqual({
          name,
          fill,
          NODE_ENV: 'production',
          refused: null,
        });
      }
    }
  });

  test('.env copied from .env.example and not filled in: each app service refuses to start, naming ADMIN_PASSWORD', () => {
    const dotEnv = operatorDotEnv('none');
    const stack = composeWith(dotEnv);
    for (const name of appServices) {
      expect({ name, refused: refusal(containerEnv(stack[name]!, dotEnv)) }).toEqual({
        name,
        refused: expect.stringContaining('ADMIN_PASSWORD'),
      });
    }
  });

  test('the metrics and worker listeners listen on the container network and are not published to the host', () => {
    for (const [name, service] of Object.entries(services)) {
      expect({ name, network_mode: service.network_mode }).toEqual({ name, network_mode: undefined });
      const privatePorts = [9464, 9465];
      if (appServices.includes(name)) {
        const config = listenersOf(containerEnv(service, filledDotEnv));
        privatePorts.push(config.metrics.port, config.worker.port);
        expect({ name, metrics: config.metrics.host, worker: config.worker.host }).toEqual({
          name,
          metrics: '0.0.0.0',
          worker: '0.0.0.0',
        });
      }
      expect({ name, published: publishedPorts(service).filter((port) => privatePorts.includes(port)) }).toEqual({
        name,
        published: [],
      });
    }
  });

  test('signals reach node and the API drains in time: init, stop_grace_period, USER, exec-form CMD', () => {
    for (const name of appServices) {
      const service = services[name]!;
      expect({ name, init: service.init }).toEqual({ name, init: true });
      if (kindOf(containerArgv(service)) !== 'api') continue;
      // Not ready for SHUTDOWN_GRACE_MS, then requests in flight (at most HTTP_REQUEST_TIMEOUT_MS) answered.
      const { http } = listenersOf(containerEnv(service, filledDotEnv));
      const graceMs = durationMs(service.stop_grace_period, 10_000); // Docker's default: 10 s
      const neededMs = http.shutdownGraceMs + http.requestTimeoutMs;
      expect({ name, graceMs, neededMs, enough: graceMs > neededMs }).toEqual({
        name,
        graceMs,
        neededMs,
        enough: true,
      });
    }
    expect(lastOf(finalStage, 'USER')).toBe('node');
    expect(lastOf(finalStage, 'CMD')).toMatch(/^\[/);
  });

  test('the Dockerfile builds on the Node major CI tests on (.ci/run NODE_VERSION)', () => {
    const ciMajor = /^NODE_VERSION=(\d+)\./m.exec(read('.ci/run'))?.[1];
    expect(ciMajor).toMatch(/^\d+$/);
    const images = stages.map((stage) => stage.image).filter((image) => stageNamed(image) === undefined);
    expect(images.length).toBeGreaterThan(0);
    expect(images.map((image) => /^(?:docker\.io\/(?:library\/)?)?node:(\d+)\b/.exec(image)?.[1] ?? image)).toEqual(
      images.map(() => ciMajor),
    );
    // On CI, the Node running these tests is that major too.
    if (process.env.CI === 'true') expect(process.versions.node.split('.')[0]).toBe(ciMajor);
  });

  test("the image's node_modules are the production install (npm ci --omit=dev --omit=optional)", () => {
    const copy = copies(finalStage).find(
      (c) => /node_modules\/?$/.test(c.dest) || c.sources.some((s) => /node_modules\/?$/.test(s)),
    );
    const from = copy?.from ?? null;
    const stage = from === null ? finalStage : stageNamed(from);
    const installs = (stage === undefined ? [] : instructions(stage, 'RUN'))
      .map((i) => i.args)
      .filter((args) => /\bnpm (?:ci|install|i|prune)\b/.test(args))
      .join(' && ');
    expect(installs).toMatch(/\bnpm ci\b/);
    expect(installs).toContain('--omit=dev');
    expect(installs).toContain('--omit=optional');
    expect(installs).not.toMatch(/\bnpm (?:install|i|prune)\b/);
  });
});

describe('the commands, against the build the Dockerfile makes', () => {
  let tmp: string;
  let app: string;
  let h: Harness;
  let workerPort: number;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'compose-image-'));
    app = await replayBuildStage(tmp);
    h = await startHarness();
    workerPort = (await h.startWorker()).port;
  }, 200_000);
  afterAll(async () => {
    await h?.close();
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
  });

  test('every `node dist/…` named by compose, the Dockerfile, README.md, docs/runbook.md and package.json exists in it', () => {
    const named: Named[] = [...nodeCommandsInDocs()];
    for (const [name, service] of Object.entries(services)) {
      if (!appServices.includes(name)) continue;
      named.push({ source: `compose ${name}`, argv: containerArgv(service) });
      const probe = probeOf(service);
      if (probe !== null) named.push({ source: `compose ${name} healthcheck`, argv: probeWords(probe) });
    }
    for (const keyword of ['CMD', 'ENTRYPOINT']) {
      const args = lastOf(finalStage, keyword);
      if (args !== undefined) named.push({ source: `Dockerfile ${keyword}`, argv: execForm(args) });
    }
    const probe = imageHealthcheck(finalStage);
    if (probe !== null) named.push({ source: 'Dockerfile HEALTHCHECK', argv: probeWords(probe) });
    for (const command of composeCommandsInDocs()) {
      const argv = containerArgvOf(command);
      if (argv !== null) named.push({ source: `${command.source}: ${command.text}`, argv });
    }
    const paths = named.flatMap(({ source, argv }) =>
      // `dist/scripts/…` is a pattern, not a path.
      argv.filter((word) => /^dist\/[\w./-]+$/.test(word)).map((path) => ({ source, path })),
    );
    for (const expected of ['dist/src/main.js', 'dist/workers/main.js', 'dist/scripts/seed.js']) {
      expect(paths.map(({ path }) => path)).toContain(expected);
    }
    expect(paths.filter(({ path }) => !existsSync(join(app, path)))).toEqual([]);
    // The Lua scripts the build copies next to the compiled Redis adapter.
    expect(existsSync(join(app, 'dist/src/adapters/redis/lua/claim-slot.lua'))).toBe(true);
  });

  test('every `docker compose …` in the docs names services compose has, and the scripts the docs run accept their arguments', async () => {
    const commands = composeCommandsInDocs();
    expect(commands.map((c) => c.subcommand)).toEqual(expect.arrayContaining(['up', 'run', 'exec']));
    expect(
      commands.flatMap(({ source, text, services: named }) =>
        named.filter((name) => services[name] === undefined).map((name) => ({ source, text, missing: name })),
      ),
    ).toEqual([]);
    const scripts = [
      ...nodeCommandsInDocs(),
      ...commands.flatMap((command) => {
        const argv = containerArgvOf(command);
        return argv === null ? [] : [{ source: `${command.source}: ${command.text}`, argv }];
      }),
    ].filter(({ argv }) => argv[0] === 'node' && /^dist\/scripts\/[\w.-]+\.js$/.test(argv[1] ?? ''));
    expect(scripts.length).toBeGreaterThan(3);
    const unique = [...new Map(scripts.map((script) => [script.argv.join(' '), script])).values()];
    // --help after the documented arguments: strict option parsing refuses an unknown one (exit 2) and
    // nothing connects anywhere.
    const results = await Promise.all(
      unique.map(async ({ source, argv }) => {
        const ran = await runInImage(app, [...argv, '--help']);
        return {
          source,
          argv: argv.join(' '),
          code: ran.code,
          usage: ran.stdout.startsWith('usage:'),
          stderr: ran.stderr,
        };
      }),
    );
    expect(results.filter((r) => r.code !== 0 || !r.usage)).toEqual([]);
  });

  test("the README's seed command, run as compose runs it, seeds a campaign the API hands slots of", async () => {
    const seeding = composeCommandsInDocs().filter(
      (c) => c.source === 'README.md' && (containerArgvOf(c) ?? []).includes('dist/scripts/seed.js'),
    );
    expect(seeding.length).toBeGreaterThan(0);
    const command = seeding[0]!;
    const campaign = `compose-${uniqueTag()}`;
    const password = strongSecret('seeded accounts');
    // The README's arguments, scaled down (two accounts hash in well under a second at production cost).
    const wanted: Record<string, string> = {
      '--campaign': campaign,
      '--limit': '2',
      '--users': '2',
      '--password': password,
    };
    const argv = [...containerArgvOf(command)!];
    for (const [flag, value] of Object.entries(wanted)) {
      const at = argv.indexOf(flag);
      if (at === -1) argv.push(flag, value);
      else argv[at + 1] = value;
    }
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      ...containerEnv(services[command.services[0]!]!, filledDotEnv),
      // The compose services' stand-ins: the harness's database and key prefixes (it removes them).
      MONGO_URL: h.config.mongo.url,
      REDIS_URL: testRedisUrl(),
      REDIS_KEY_PREFIX: h.config.redis.keyPrefix,
      QUEUE_PREFIX: h.config.queue.prefix,
    };
    expect(env.NODE_ENV).toBe('production');
    const seeded = await runInImage(app, argv, env);
    expect({ code: seeded.code, stderr: seeded.stderr }).toMatchObject({ code: 0 });
    expect(seeded.stdout).toContain(`campaign ${campaign}: created, limit 2`);
    const { status, body } = await h.login('user1', password, campaign);
    expect({ status, campaign: body.campaigns?.[0] }).toMatchObject({
      status: 200,
      campaign: { outcome: 'won', slot: 1 },
    });
  });

  test('every healthcheck probes /ready of its own process: api and the Dockerfile the API, worker the worker, others none', () => {
    const probes = appServices.map((name) => {
      const service = services[name]!;
      const kind = kindOf(containerArgv(service));
      const probe = probeOf(service);
      const config = listenersOf(containerEnv(service, filledDotEnv));
      const port = { api: String(config.http.port), worker: String(config.worker.port), other: null }[kind];
      if (probe === null) return { name, kind, probe: null };
      const url = probeUrl(probe);
      return { name, kind, probe: `${url.hostname}:${url.port}${url.pathname}`, port };
    });
    expect(probes).toEqual(
      probes.map(({ name, kind }) =>
        kind === 'other'
          ? { name, kind, probe: null }
          : {
              name,
              kind,
              probe: expect.stringMatching(/^127\.0\.0\.1:\d+\/ready$/) as unknown,
              port: expect.any(String),
            },
      ),
    );
    for (const { name, probe, port } of probes) {
      if (probe !== null) expect({ name, port: probe.split('/')[0]!.split(':')[1] }).toEqual({ name, port });
    }
    const image = imageHealthcheck(finalStage);
    expect(image).not.toBeNull();
    const api = appServices.find((name) => kindOf(containerArgv(services[name]!)) === 'api')!;
    const apiPort = String(listenersOf(containerEnv(services[api]!, filledDotEnv)).http.port);
    const imageUrl = probeUrl(image!);
    expect(`${imageUrl.hostname}:${imageUrl.port}${imageUrl.pathname}`).toBe(`127.0.0.1:${apiPort}/ready`);
  });

  test('the probes pass against the real API and worker, and fail on a path neither serves', async () => {
    const apiPort = new URL(h.baseUrl).port;
    const probes: { source: string; argv: string[]; port: string }[] = [];
    for (const name of appServices) {
      const probe = probeOf(services[name]!);
      const kind = kindOf(containerArgv(services[name]!));
      if (probe !== null && kind !== 'other') {
        probes.push({ source: name, argv: probeWords(probe), port: kind === 'api' ? apiPort : String(workerPort) });
      }
    }
    const image = imageHealthcheck(finalStage);
    if (image !== null) probes.push({ source: 'Dockerfile', argv: probeWords(image), port: apiPort });
    // The api's, the worker's and the image's at least (the test above says which is missing).
    expect(probes.length).toBeGreaterThanOrEqual(3);
    const results = await Promise.all(
      probes.flatMap(({ source, argv, port }) =>
        [true, false].map(async (served) => {
          // The container's 127.0.0.1:<port> is, here, the harness's API or worker on its own port.
          const url = probeUrl(argv);
          const target = `http://127.0.0.1:${port}${served ? url.pathname : '/not-a-route'}`;
          const ran = await runInImage(
            app,
            argv.map((word) => (word.startsWith(url.origin) ? target : word)),
          );
          return { source, target: served ? url.pathname : '/not-a-route', healthy: ran.code === 0 };
        }),
      ),
    );
    expect(results).toEqual(results.map((r) => ({ ...r, healthy: r.target !== '/not-a-route' })));
  });
});
