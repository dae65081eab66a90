/**
 * Every configuration example in the manual (a ```yaml block of docs/ whose top-level keys are
 * configuration sections) goes through the real loader: a renamed key or a value out of range
 * fails here, not in a reader's deployment. `${file:…}` references are read from a stand-in.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { loadConfig } from '../../common/config/load.js';
import { configSchema } from '../../common/config/schema.js';

const docs = resolve(import.meta.dirname, '..', '..', 'docs');
const sections = new Set(Object.keys(configSchema.shape));

interface Example {
  readonly where: string;
  readonly text: string;
}

function configExamples(): Example[] {
  const examples: Example[] = [];
  for (const page of readdirSync(docs).filter((name) => name.endsWith('.md'))) {
    const text = readFileSync(join(docs, page), 'utf8');
    for (const match of text.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)) {
      const body = match[1] as string;
      const line = text.slice(0, match.index).split('\n').length;
      let parsed: unknown;
      try {
        parsed = parse(body);
      } catch (error) {
        throw new Error(`docs/${page}:${line}: a yaml block that does not parse: ${String(error)}`);
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) continue;
      if (!Object.keys(parsed).every((key) => sections.has(key))) continue;
      examples.push({ where: `docs/${page}:${line}`, text: body });
    }
  }
  return examples;
}

describe('configuration examples in docs/', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bookeo-docs-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const examples = configExamples();

  it('finds the examples (the walkthrough and the configuration reference among them)', () => {
    assert.ok(examples.some((example) => example.where.startsWith('docs/deploying.md')));
    assert.ok(examples.some((example) => example.where.startsWith('docs/configuration.md')));
  });

  for (const example of examples)
    it(`loads ${example.where}`, () => {
      const file = join(dir, 'example.yaml');
      writeFileSync(file, example.text);
      const read: string[] = [];
      loadConfig({ file, env: {}, readFile: (path) => (read.push(path), 'a-secret-read-from-a-file') });
      for (const path of read) assert.match(path, /^\//, `${example.where}: file references are absolute`);
    });
});
