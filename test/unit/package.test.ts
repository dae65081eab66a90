/**
 * The npm package and its one version: `npm pack` builds first (so the tarball carries dist/), the
 * exports point at modules the build makes, `--version` and the deploy files' image tag read or
 * equal package.json's version, and the image's runtime dependencies leave out what only the
 * tests use. No build and no network: the files are read.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildProgram } from '../../cli/program.js';
import { parse } from 'yaml';
import { packageVersion } from '../../common/version.js';

const root = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  version: string;
  scripts: Record<string, string>;
  exports: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  files: string[];
};

describe('npm package', () => {
  it('builds dist/ before packing, and ships it', () => {
    assert.equal(pkg.scripts.prepack, 'npm run build');
    assert.ok(pkg.files.includes('dist') && pkg.files.includes('avro/schemas'));
  });

  it('exports modules that exist in the sources the build compiles', () => {
    for (const [entry, target] of Object.entries(pkg.exports)) {
      if (entry === './package.json') continue;
      const source = target.replace('./dist/', '').replace('*', 'topics').replace(/\.js$/, '.ts');
      assert.ok(existsSync(join(root, source)), `${entry} → ${source}`);
    }
  });

  it('writes the version once: the CLI and the k8s image tag follow package.json', () => {
    assert.equal(packageVersion(), pkg.version);
    assert.equal(buildProgram().version(), pkg.version, 'bookeo-connect --version');
    const kustomization = parse(readFileSync(join(root, 'deploy', 'k8s', 'kustomization.yaml'), 'utf8')) as {
      images: Array<{ newTag?: string }>;
    };
    assert.deepEqual(
      kustomization.images.map((image) => image.newTag),
      [pkg.version],
    );
    assert.match(readFileSync(join(root, 'CHANGELOG.md'), 'utf8'), new RegExp(`## \\[${pkg.version}\\]`));
  });

  it('keeps the tests-only registry library out of the runtime dependencies', () => {
    assert.equal(pkg.dependencies['@kafkajs/confluent-schema-registry'], undefined);
    assert.ok(pkg.devDependencies['@kafkajs/confluent-schema-registry']);
  });
});
