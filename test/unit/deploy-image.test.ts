/** The Dockerfile and the deploy files' syntax, checked offline against the build and the CLI (see test/helpers/deploy-files.ts). */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { configSchema } from '../../common/config/schema.js';
import { root, deploy, obj, arr, filesUnder, yamlDocuments } from '../helpers/deploy-files.js';

describe('deploy files parse', () => {
  it('every YAML file under deploy/ parses', () => {
    const files = filesUnder(deploy, ['.yaml', '.yml']);
    assert.ok(files.length >= 8, `found ${files.length} YAML files`);
    for (const file of files) yamlDocuments(file);
  });

  it('the Grafana dashboard is JSON with its datasource as the DS_PROMETHEUS input', () => {
    const dashboard = obj(
      JSON.parse(readFileSync(join(deploy, 'grafana', 'bookeo-connect.json'), 'utf8')),
      'dashboard',
    );
    const inputs = arr(dashboard.__inputs, '__inputs').map((input) => obj(input, 'input'));
    assert.ok(inputs.some((input) => input.name === 'DS_PROMETHEUS' && input.pluginId === 'prometheus'));
    const datasources = new Set<string>();
    const ids = new Set<number>();
    for (const panel of arr(dashboard.panels, 'panels').map((p) => obj(p, 'panel'))) {
      assert.ok(!ids.has(Number(panel.id)), `panel id ${String(panel.id)} is unique`);
      ids.add(Number(panel.id));
      if (panel.type === 'row') continue;
      datasources.add(JSON.stringify(panel.datasource));
      for (const target of arr(panel.targets, `${String(panel.title)}.targets`))
        datasources.add(JSON.stringify(obj(target, 'target').datasource));
    }
    assert.deepEqual([...datasources], [JSON.stringify({ type: 'prometheus', uid: '${DS_PROMETHEUS}' })]);
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(deploy, 'docker', 'Dockerfile'), 'utf8');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));
  const stages = instructions
    .join('\n')
    .split(/^FROM /m)
    .slice(1);
  const runtime = stages[stages.length - 1] ?? '';

  it('ENTRYPOINT runs what `npm run build` makes of cli/main.ts, which is also the package bin', () => {
    const build = JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')) as {
      extends?: string;
      compilerOptions?: { outDir?: string; rootDir?: string };
    };
    const base =
      build.extends === undefined
        ? {}
        : (JSON.parse(readFileSync(join(root, build.extends), 'utf8')) as {
            compilerOptions?: { outDir?: string; rootDir?: string };
          });
    const outDir = build.compilerOptions?.outDir ?? base.compilerOptions?.outDir ?? assert.fail('no outDir');
    const rootDir = build.compilerOptions?.rootDir ?? base.compilerOptions?.rootDir ?? assert.fail('no rootDir');
    const main = posix.join(
      outDir,
      relative(resolve(root, rootDir), join(root, 'cli', 'main.ts')).replace(/\.ts$/, '.js'),
    );
    const entrypoint = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(runtime);
    assert.ok(entrypoint !== null, 'the runtime stage has an exec-form ENTRYPOINT');
    assert.deepEqual(JSON.parse(entrypoint[1] as string), ['node', main]);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    assert.equal(pkg.bin['bookeo-connect'], main);
    // dist/ and avro/schemas/ land side by side in WORKDIR: avro/schemas.ts finds dist/avro/../../avro/schemas.
    assert.match(runtime, /^COPY --from=build \/src\/dist \.\/dist$/m);
    assert.match(runtime, /^COPY avro\/schemas \.\/avro\/schemas$/m);
    assert.ok(existsSync(join(root, 'avro', 'schemas', 'key.avsc')));
  });

  it('the runtime stage installs production dependencies only, runs as a numeric non-root user, exposes http.port', () => {
    assert.match(stages.find((stage) => stage.includes('AS prod-deps')) ?? '', /npm ci --omit=dev/);
    assert.match(runtime, /^COPY --from=prod-deps \/app\/node_modules \.\/node_modules$/m);
    assert.doesNotMatch(runtime, /^HEALTHCHECK/m);
    const user = /^USER (\d+)(?::(\d+))?$/m.exec(runtime);
    assert.ok(user !== null && Number(user[1]) > 0, 'USER is a numeric non-root uid');
    assert.equal(Number(/^EXPOSE (\d+)$/m.exec(runtime)?.[1]), configSchema.parse({}).http.port);
  });

  it('everything cli/main.ts imports at runtime is a production dependency, and in the build context', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    assert.ok(!('chdb' in pkg.dependencies), 'chdb (local stack only) is not a production dependency');
    const seen = new Set<string>();
    const packages = new Map<string, string>();
    const queue = [join(root, 'cli', 'main.ts')];
    while (queue.length > 0) {
      const file = queue.pop() as string;
      if (seen.has(file)) continue;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      const specifiers = [
        ...[...text.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^'";]*?\bfrom\s*'([^']+)'/gm)].map(
          (m) => m[1] as string,
        ),
        ...[...text.matchAll(/^\s*import\s+'([^']+)'/gm)].map((m) => m[1] as string),
        ...[...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)].map((m) => m[1] as string),
      ];
      for (const specifier of specifiers) {
        if (specifier.startsWith('node:')) continue;
        if (specifier.startsWith('.')) {
          const target = resolve(dirname(file), specifier.replace(/\.js$/, '.ts'));
          assert.ok(existsSync(target), `${relative(root, file)} imports ${specifier}`);
          queue.push(target);
        } else {
          const name = specifier.startsWith('@')
            ? specifier.split('/').slice(0, 2).join('/')
            : (specifier.split('/')[0] as string);
          packages.set(name, relative(root, file));
        }
      }
    }
    for (const [name, file] of packages)
      assert.ok(name in pkg.dependencies, `${file} imports ${name}, which --omit=dev would leave out of the image`);
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    for (const dir of new Set([...seen].map((file) => relative(root, file).split('/')[0] as string))) {
      assert.ok(!ignored.includes(dir), `.dockerignore excludes ${dir}/, which the CLI imports`);
    }
    assert.ok(!ignored.includes('avro'), '.dockerignore keeps avro/');
  });
});
