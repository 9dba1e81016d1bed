/**
 * The production layout, checked without a Docker engine: docker-compose.yml parsed and validated
 * structurally (services, persistence, scaling, substitutions, secrets, pinned images, the files the
 * commands run), and the Dockerfile (lockfile install, no secrets, non-root). Where the Docker CLI
 * has the compose plugin, `docker compose config` validates the file as well.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { DEFAULT_UI_ORIGIN } from '../src/codec/index.js';
import { repoRoot } from './helpers/temporal.js';

const ServiceSchema = z.looseObject({
  image: z.string().optional(),
  build: z.union([z.string(), z.looseObject({ context: z.string() })]).optional(),
  command: z.union([z.string(), z.array(z.string())]).optional(),
  environment: z
    .union([
      z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
      z.array(z.string()),
    ])
    .optional(),
  depends_on: z
    .union([z.array(z.string()), z.record(z.string(), z.looseObject({ condition: z.string().optional() }))])
    .optional(),
  ports: z.array(z.union([z.string(), z.number(), z.looseObject({})])).optional(),
  healthcheck: z.looseObject({ test: z.union([z.string(), z.array(z.string())]) }).optional(),
  deploy: z.looseObject({ replicas: z.number().optional() }).optional(),
  profiles: z.array(z.string()).optional(),
  container_name: z.string().optional(),
  volumes: z.array(z.unknown()).optional(),
});
type Service = z.infer<typeof ServiceSchema>;
const ComposeSchema = z.looseObject({
  services: z.record(z.string(), ServiceSchema),
  volumes: z.record(z.string(), z.unknown().nullable()).optional(),
});

const composeText = readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8');
const compose = ComposeSchema.parse(parse(composeText));
const services = compose.services;
const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');

function service(name: string): Service {
  const found = services[name];
  assert.ok(found, `docker-compose.yml has no service "${name}"`);
  return found;
}

function environment(s: Service): Record<string, string> {
  const env = s.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const at = entry.indexOf('=');
        return at < 0 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

function commandOf(s: Service): string[] {
  return typeof s.command === 'string' ? s.command.split(/\s+/) : (s.command ?? []);
}

function dependencies(s: Service): Record<string, string | undefined> {
  const deps = s.depends_on ?? [];
  return Array.isArray(deps)
    ? Object.fromEntries(deps.map((name) => [name, undefined]))
    : Object.fromEntries(Object.entries(deps).map(([name, options]) => [name, options.condition]));
}

/** Every string anywhere in a parsed YAML value, with its path. */
function strings(value: unknown, path: string, out: { path: string; value: string }[] = []) {
  if (typeof value === 'string') out.push({ path, value });
  else if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) strings(item, `${path}[${i}]`, out);
  } else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) strings(child, `${path}.${key}`, out);
  }
  return out;
}

/** Compose's interpolation forms: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?message}, ${VAR?message}. */
const SUBSTITUTION = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g;

interface Substitution {
  name: string;
  operator?: string;
  argument?: string;
}

function substitutionsIn(text: string): Substitution[] {
  return [...text.matchAll(SUBSTITUTION)].map((m) => ({ name: m[1], operator: m[2], argument: m[3] }));
}

/** What `docker compose` does with a value, given an environment; throws like compose on a missing required variable. */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(SUBSTITUTION, (_, name: string, operator?: string, argument = '') => {
    const value = env[name];
    const unset = value === undefined || (operator?.startsWith(':') === true && value === '');
    if (operator?.endsWith('?') && unset)
      throw new Error(`required variable ${name} is missing: ${argument}`);
    if (operator?.endsWith('-') && unset) return argument;
    return value ?? '';
  });
}

const SECRET_NAME = /PASSWORD|PWD|SECRET|TOKEN|AUTHORIZATION|(^|_)KEY$|ACCESS_KEY|_KEYS$/;

/** Environment variables a set of source files reads (env.NAME, process.env.NAME). */
function variablesReadBy(paths: string[], except: string[] = []): Set<string> {
  const names = new Set<string>();
  const skipped = new Set(except.map((path) => join(repoRoot, path)));
  const visit = (path: string) => {
    if (skipped.has(path)) return;
    if (statSync(path).isDirectory()) {
      for (const entry of readdirSync(path)) visit(join(path, entry));
    } else if (path.endsWith('.ts')) {
      for (const m of readFileSync(path, 'utf8').matchAll(/\benv\.([A-Z][A-Z0-9_]*)/g)) names.add(m[1]);
    }
  };
  for (const path of paths) visit(join(repoRoot, path));
  return names;
}

/** Inside the image, the app lives in /app and dist/ is copied from the build stage. */
function builtFile(command: string[]): string {
  const script = command.find((part) => part.startsWith('dist/'));
  assert.ok(script, `no dist/ script in command ${command.join(' ')}`);
  return join(repoRoot, script);
}

describe('docker-compose.yml (production layout)', () => {
  it('has the services of the design', () => {
    for (const name of [
      'postgresql',
      'temporal',
      'temporal-ui',
      'minio',
      'worker',
      'router',
      'codec-server',
    ]) {
      service(name);
    }
  });

  it('runs Temporal on PostgreSQL, once PostgreSQL is healthy', () => {
    const temporal = service('temporal');
    const env = environment(temporal);
    assert.equal(env.DB, 'postgres12');
    assert.equal(env.POSTGRES_SEEDS, 'postgresql');
    assert.equal(env.DB_PORT, '5432');
    assert.equal(env.POSTGRES_USER, environment(service('postgresql')).POSTGRES_USER);
    // The same password variable on both sides, never a literal.
    assert.match(env.POSTGRES_PWD, /^\$\{POSTGRES_PASSWORD:\?[^}]+\}$/);
    assert.equal(env.POSTGRES_PWD, environment(service('postgresql')).POSTGRES_PASSWORD);
    assert.equal(dependencies(temporal).postgresql, 'service_healthy');
    assert.ok(service('postgresql').volumes?.length, 'PostgreSQL data must live on a volume');
    assert.equal(environment(service('temporal-ui')).TEMPORAL_ADDRESS, 'temporal:7233');
  });

  it('has an S3-compatible store whose credentials the worker and router share', () => {
    const minio = service('minio');
    assert.match(minio.image ?? '', /^minio\/minio:/);
    assert.equal(commandOf(minio)[0], 'server');
    const root = environment(minio);
    for (const name of ['worker', 'router']) {
      const env = environment(service(name));
      assert.equal(env.AWS_ACCESS_KEY_ID, root.MINIO_ROOT_USER, `${name} AWS_ACCESS_KEY_ID`);
      assert.equal(env.AWS_SECRET_ACCESS_KEY, root.MINIO_ROOT_PASSWORD, `${name} AWS_SECRET_ACCESS_KEY`);
      assert.ok(env.AWS_REGION, `${name} AWS_REGION`);
    }
    assert.match(
      environment(service('router')).BLOB_STORE_URL,
      /^s3:\/\/[^/]+\/\?endpoint=http:\/\/minio:9000/,
    );
  });

  it('builds the worker from this repository, runs dist/src/worker.js against Temporal, and scales', () => {
    const worker = service('worker');
    const context = typeof worker.build === 'string' ? worker.build : worker.build?.context;
    assert.equal(context, '.');
    assert.ok(commandOf(worker).includes('dist/src/worker.js'));
    const env = environment(worker);
    assert.equal(env.TEMPORAL_ADDRESS, 'temporal:7233');
    for (const token of ['INTERCOM_TOKEN', 'CHATWOOT_TOKEN']) {
      assert.match(
        env[token],
        new RegExp(`^\\$\\{${token}:\\?[^}]+\\}$`),
        `${token} must be required from the environment`,
      );
    }
    assert.equal(worker.container_name, undefined, 'a container_name stops --scale');
    assert.equal(worker.ports, undefined, 'a fixed host port stops --scale');
    assert.ok((worker.deploy?.replicas ?? 0) >= 2, 'run at least two workers');
    assert.equal(dependencies(worker).temporal, 'service_healthy');
  });

  it('passes every variable the worker, router and codec server read to their containers', () => {
    const readers: Record<string, string[]> = {
      worker: [
        'src/worker.ts',
        'src/activities',
        'src/clients',
        'src/storage',
        'src/mapping',
        'src/codec/aesGcmCodec.ts',
        'src/config.ts',
        'src/temporal.ts',
      ],
      router: ['src/router', 'src/storage'],
      'codec-server': ['src/codec'],
    };
    // The router reads only the public rollout state, stored plain (blobLayout.isPublic): no blob key.
    const notRead: Record<string, string[]> = { router: ['src/storage/encryptionSettings.ts'] };
    for (const [name, paths] of Object.entries(readers)) {
      const read = variablesReadBy(paths, notRead[name]);
      assert.ok(read.size > 0, `found no variables read by ${name}`);
      const given = new Set(Object.keys(environment(service(name))));
      const missing = [...read].filter((variable) => !given.has(variable));
      assert.deepEqual(missing, [], `${name} reads variables its service does not set`);
    }
    // The same keys for the workers that encrypt and the codec server that decrypts.
    const worker = environment(service('worker'));
    const codec = environment(service('codec-server'));
    for (const variable of ['PAYLOAD_CODEC_KEY', 'PAYLOAD_CODEC_KEY_ID', 'PAYLOAD_CODEC_OLD_KEYS']) {
      assert.equal(codec[variable], worker[variable], variable);
    }
    for (const variable of ['BLOB_ENCRYPTION_KEY', 'BLOB_ENCRYPTION_KEY_ID', 'BLOB_ENCRYPTION_OLD_KEYS']) {
      assert.ok(worker[variable], `the workers get ${variable}`);
      assert.equal(environment(service('router'))[variable], undefined, `the router gets no ${variable}`);
    }
  });

  it('runs the router and the optional codec server from the same image', () => {
    const router = service('router');
    assert.ok(commandOf(router).includes('dist/src/router/main.js'));
    const codec = service('codec-server');
    assert.ok(commandOf(codec).includes('dist/src/codec/codecServer.js'));
    assert.deepEqual(codec.profiles, ['codec'], 'the codec server is opt-in');
    for (const name of ['router', 'codec-server'])
      assert.equal(services[name]?.image, service('worker').image);
    const env = environment(codec);
    // By default the UI as published above (localhost:8233) may call it, and an operator can change that.
    assert.equal(interpolate(env.CODEC_CORS_ORIGINS, {}), DEFAULT_UI_ORIGIN);
    assert.equal(interpolate(env.CODEC_CORS_ORIGINS, { CODEC_CORS_ORIGINS: 'https://ui' }), 'https://ui');
    assert.ok(service('temporal-ui').ports?.includes(`127.0.0.1:${new URL(DEFAULT_UI_ORIGIN).port}:8080`));
    assert.equal(env.CODEC_SERVER_HOST, '0.0.0.0', 'inside its container it must listen beyond loopback');
  });

  it('publishes only the router to the network; everything else on loopback', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const port of s.ports ?? []) {
        assert.equal(typeof port, 'string', `${name}: write ports as "host:container" strings`);
        const text = port as string;
        if (name === 'router') continue;
        assert.match(text, /^127\.0\.0\.1:\d+:\d+$/, `${name} publishes ${text} beyond this host`);
      }
    }
  });

  it('names only services that exist in depends_on, and waits only on services with a health check', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [target, condition] of Object.entries(dependencies(s))) {
        assert.ok(services[target], `${name} depends on unknown service ${target}`);
        if (condition === 'service_healthy') {
          assert.ok(
            services[target]?.healthcheck,
            `${name} waits for ${target} to be healthy, which has no check`,
          );
        }
      }
      for (const volume of s.volumes ?? []) {
        if (typeof volume !== 'string' || volume.startsWith('.') || volume.startsWith('/')) continue;
        const named = volume.split(':')[0];
        assert.ok(compose.volumes && named in compose.volumes, `${name} uses undeclared volume ${named}`);
      }
    }
  });

  it('uses only well-formed substitutions, and requires exactly the secrets an operator must set', () => {
    const all = strings(parse(composeText), '');
    for (const { path, value } of all) {
      // Every "$" is a substitution or an escaped "$$".
      const rest = value.replace(SUBSTITUTION, '').replace(/\$\$/g, '');
      assert.ok(!rest.includes('$'), `${path}: malformed substitution in ${value}`);
    }
    const required = new Map<string, string>();
    for (const { value } of all) {
      for (const s of substitutionsIn(value)) {
        if (s.operator === ':?') {
          assert.ok(s.argument?.trim(), `\${${s.name}:?} needs a message`);
          required.set(s.name, s.argument as string);
        }
      }
    }
    assert.deepEqual([...required.keys()].sort(), [
      'CHATWOOT_TOKEN',
      'INTERCOM_TOKEN',
      'POSTGRES_PASSWORD',
      'S3_ACCESS_KEY_ID',
      'S3_SECRET_ACCESS_KEY',
    ]);
    // As compose would: with every required variable set the file resolves; without one it names it.
    const env = Object.fromEntries([...required.keys()].map((name) => [name, `value-of-${name}`]));
    const resolved = all.map(({ value }) => interpolate(value, env));
    assert.ok(resolved.every((value) => !value.includes('${')));
    assert.ok(resolved.includes('value-of-INTERCOM_TOKEN'));
    for (const name of required.keys()) {
      const { [name]: _, ...without } = env;
      assert.throws(() => all.map(({ value }) => interpolate(value, without)), new RegExp(name));
    }
  });

  it('holds no secret values: secrets are substitutions without defaults', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [variable, value] of Object.entries(environment(s))) {
        if (!SECRET_NAME.test(variable)) continue;
        const subs = substitutionsIn(value);
        assert.equal(subs.length, 1, `${name}.${variable} must come from the environment, not "${value}"`);
        assert.equal(value, `\${${subs[0].name}${subs[0].operator ?? ''}${subs[0].argument ?? ''}}`);
        if (subs[0].operator === ':-' || subs[0].operator === '-') {
          assert.equal(subs[0].argument, '', `${name}.${variable} has a default secret`);
        }
      }
    }
    for (const { path, value } of strings(parse(composeText), '')) {
      const literal = value.replace(SUBSTITUTION, '');
      assert.ok(!/[A-Za-z0-9+/]{32,}={0,2}/.test(literal), `${path} looks like a key: ${value}`);
      assert.ok(!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(literal), `${path} holds a private key`);
    }
  });

  it('pins every pulled image to a version; only the locally built one is "latest"', () => {
    for (const [name, s] of Object.entries(services)) {
      assert.ok(s.image, `${name} has no image`);
      const tag = /:([^/:@]+)$/.exec(s.image)?.[1];
      assert.ok(tag || s.image.includes('@sha256:'), `${name}: image ${s.image} is not pinned`);
      if (s.build === undefined)
        assert.notEqual(tag, 'latest', `${name}: pulled image ${s.image} is "latest"`);
    }
  });

  it('runs files that the build produces', () => {
    assert.match(dockerfile, /COPY --from=\w+ \/app\/dist \.\/dist/);
    const tsconfig = JSON.parse(readFileSync(join(repoRoot, 'tsconfig.json'), 'utf8')) as {
      compilerOptions: { outDir: string; rootDir: string };
    };
    assert.equal(tsconfig.compilerOptions.outDir, 'dist');
    assert.equal(tsconfig.compilerOptions.rootDir, '.');
    for (const [name, s] of Object.entries(services)) {
      if (s.build === undefined) continue;
      const file = builtFile(commandOf(s));
      assert.ok(
        existsSync(file),
        `${name} runs ${relative(repoRoot, file)}, which the build does not produce`,
      );
    }
  });

  it('is accepted by `docker compose config` where the compose plugin is installed', function () {
    const version = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
    if (version.error || version.status !== 0) this.skip();
    execFileSync('docker', ['compose', '-f', join(repoRoot, 'docker-compose.yml'), 'config', '--quiet'], {
      env: {
        ...process.env,
        POSTGRES_PASSWORD: 'p',
        S3_ACCESS_KEY_ID: 'a',
        S3_SECRET_ACCESS_KEY: 's',
        INTERCOM_TOKEN: 'i',
        CHATWOOT_TOKEN: 'c',
      },
      stdio: 'pipe',
    });
  });
});

describe('Dockerfile', () => {
  const instructions = dockerfile
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const stages = instructions.filter((line) => /^FROM\s/i.test(line));

  it('installs exactly the lockfile (npm ci), copied before the install', () => {
    const copyLock = instructions.findIndex((line) => /^COPY\s.*package-lock\.json/.test(line));
    const install = instructions.findIndex((line) => /^RUN\s.*\bnpm ci\b/.test(line));
    assert.ok(copyLock >= 0 && install > copyLock, 'COPY package-lock.json, then RUN npm ci');
    assert.ok(
      !instructions.some((line) => /\bnpm (install|i)\b/.test(line)),
      'npm install ignores the lockfile',
    );
    assert.ok(existsSync(join(repoRoot, 'package-lock.json')));
  });

  it('copies only files that exist, and no secrets', () => {
    for (const line of instructions.filter((l) => /^COPY\s/.test(l) && !l.includes('--from'))) {
      const sources = line.split(/\s+/).slice(1, -1);
      for (const source of sources)
        assert.ok(existsSync(join(repoRoot, source)), `${line}: ${source} missing`);
      assert.ok(!/\.env\b|\.pem\b|\.key\b|id_rsa/.test(line), `${line} copies a secret`);
    }
    for (const line of instructions.filter((l) => /^(ENV|ARG)\s/.test(l))) {
      const name = line.split(/\s+/)[1]?.split('=')[0] ?? '';
      assert.ok(
        !SECRET_NAME.test(name),
        `${line}: secrets come from the container's environment at run time`,
      );
    }
    assert.ok(!/[A-Za-z0-9+/]{32,}={0,2}/.test(dockerfile.replace(/^#.*$/gm, '')), 'a key-like literal');
  });

  it('builds in one stage and runs as an unprivileged user from pinned base images', () => {
    assert.ok(stages.length >= 2, 'a build stage and a slim runtime stage');
    for (const stage of stages) {
      const image = stage.split(/\s+/)[1];
      const tag = /:([^/:@]+)$/.exec(image)?.[1];
      assert.ok(tag && tag !== 'latest', `${stage}: pin the base image`);
    }
    const runtime = instructions.slice(instructions.lastIndexOf(stages[stages.length - 1]));
    const user = runtime.filter((line) => /^USER\s/.test(line)).pop();
    assert.ok(user && !/\broot\b|\s0$/.test(user), 'the runtime stage must drop root');
    assert.ok(runtime.some((line) => /^CMD\s.*dist\/src\/worker\.js/.test(line)));
    assert.ok(runtime.some((line) => /^RUN\s.*npm ci|^COPY --from=\w+ \/app\/node_modules/.test(line)));
  });
});
