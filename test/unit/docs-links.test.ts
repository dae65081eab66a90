/**
 * The README and docs/ stay navigable and complete: every relative link (and image) points to a
 * file that exists and, when the target is Markdown, to a heading that exists there (GitHub's anchor
 * slugs); every key of the configuration schema is named in docs/configuration.md. No network.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { configSchema } from '../../common/config/schema.js';

const root = resolve(import.meta.dirname, '..', '..');
const docsDir = join(root, 'docs');

function markdownFiles(): string[] {
  const docs = readdirSync(docsDir)
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => join(docsDir, name));
  return [join(root, 'README.md'), ...docs];
}

/** The lines outside fenced code blocks: a `#` or `[x](y)` inside a code block is not Markdown. */
function proseLines(text: string): string[] {
  const lines: string[] = [];
  let fence: string | undefined;
  for (const line of text.split('\n')) {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (marker !== undefined && (fence === undefined || marker.startsWith(fence))) {
      fence = fence === undefined ? marker : undefined;
      continue;
    }
    if (fence === undefined) lines.push(line);
  }
  return lines;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped (not `-` or `_`), spaces to `-`. */
function githubSlug(heading: string): string {
  return heading
    .trim()
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a Markdown text offers, repeated headings numbered as GitHub does (`x`, `x-1`, …). */
function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(text)) {
    const heading = /^#{1,6}\s+(.*?)(\s+#+)?\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const slug = githubSlug(heading);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** The link targets of a Markdown text: inline links and images, and reference definitions. */
function linkTargets(text: string): string[] {
  const targets: string[] = [];
  for (const line of proseLines(text)) {
    const prose = line.replace(/`[^`]*`/g, '');
    for (const match of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) targets.push(match[1] as string);
    const definition = /^\s{0,3}\[[^\]]+\]:\s*<?([^\s>]+)/.exec(prose)?.[1];
    if (definition !== undefined) targets.push(definition);
  }
  return targets;
}

/** What is wrong with the relative links of one Markdown file (`read` gives a file's text, or undefined when it does not exist). */
function brokenLinks(file: string, text: string, read: (path: string) => string | undefined): string[] {
  const problems: string[] = [];
  for (const target of linkTargets(text)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
    const hashAt = target.indexOf('#');
    const path = hashAt === -1 ? target : target.slice(0, hashAt);
    const anchor = hashAt === -1 ? undefined : decodeURIComponent(target.slice(hashAt + 1));
    const targetFile = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
    const targetText = path === '' ? text : read(targetFile);
    if (targetText === undefined) {
      problems.push(`${target}: no file ${relative(root, targetFile)}`);
      continue;
    }
    if (anchor !== undefined && anchor !== '' && targetFile.endsWith('.md') && !anchorsOf(targetText).has(anchor)) {
      problems.push(`${target}: no heading with anchor #${anchor} in ${relative(root, targetFile)}`);
    }
  }
  return problems;
}

function readIfExists(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  return path.endsWith('.md') ? readFileSync(path, 'utf8') : '';
}

/** The dotted keys of a configuration schema, down to its leaves (`bookeo.accounts[].apiKey` inside lists of objects). */
function configKeys(schema: z.ZodType, path = ''): string[] {
  if (schema instanceof z.ZodObject) {
    return Object.entries(schema.shape as Record<string, z.ZodType>).flatMap(([key, inner]) =>
      configKeys(inner, path === '' ? key : `${path}.${key}`),
    );
  }
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional || schema instanceof z.ZodNullable)
    return configKeys(schema.unwrap() as z.ZodType, path);
  if (schema instanceof z.ZodPipe) return configKeys(schema.out as z.ZodType, path);
  if (schema instanceof z.ZodArray) {
    const inner = configKeys(schema.element as z.ZodType, `${path}[]`);
    return inner.length === 1 && inner[0] === `${path}[]` ? [path] : inner;
  }
  return [path];
}

describe('docs links', () => {
  it('the slugs are GitHub’s', () => {
    assert.equal(githubSlug('One process: `run`'), 'one-process-run');
    assert.equal(githubSlug('Records: topics, keys and headers'), 'records-topics-keys-and-headers');
    assert.equal(githubSlug('Dead letters, replay and rebuild'), 'dead-letters-replay-and-rebuild');
    assert.equal(githubSlug('Out of Kafka: the sinks'), 'out-of-kafka-the-sinks');
  });

  it('finds a missing file, a missing heading, and ignores code blocks and absolute links', () => {
    const file = join(docsDir, 'example.md');
    const text = [
      '# Top',
      '## Top',
      '[ok](#top-1) [ok](https://example.com/x#y) `[no](nowhere.md)`',
      '```',
      '[no](nowhere.md)',
      '```',
      '[bad](missing.md) [bad](#nowhere) [bad](other.md#gone)',
    ].join('\n');
    const files: Record<string, string> = { [join(docsDir, 'other.md')]: '# Here' };
    assert.deepEqual(
      brokenLinks(file, text, (path) => files[path]),
      [
        'missing.md: no file docs/missing.md',
        '#nowhere: no heading with anchor #nowhere in docs/example.md',
        'other.md#gone: no heading with anchor #gone in docs/other.md',
      ],
    );
  });

  it('every relative link in README.md and docs/*.md points to a file and heading that exist', () => {
    const files = markdownFiles();
    assert.ok(files.length > 5, `found ${files.length} Markdown files`);
    const problems = files.flatMap((file) =>
      brokenLinks(file, readFileSync(file, 'utf8'), readIfExists).map(
        (problem) => `${relative(root, file)}: ${problem}`,
      ),
    );
    assert.deepEqual(problems, []);
  });
});

describe('docs/configuration.md', () => {
  it('names every key of the configuration schema', () => {
    const keys = configKeys(configSchema);
    assert.ok(
      keys.includes('bookeo.accounts[].apiKey') &&
        keys.includes('sink.batch.maxRows') &&
        keys.includes('kafka.brokers'),
      keys.join(', '),
    );
    const text = readFileSync(join(docsDir, 'configuration.md'), 'utf8');
    assert.deepEqual(
      keys.filter((key) => !text.includes(`\`${key}\``)),
      [],
    );
  });
});
