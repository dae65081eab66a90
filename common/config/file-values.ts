/**
 * Configuration values read from mounted files (Kubernetes and Docker secrets), the two ways
 * Kafka Connect users and container images know: a `${file:/path}` reference inside any string
 * value (of the file or of an environment variable), replaced by the file's content, and a
 * `<VARIABLE>_FILE=/path` environment variable next to `<VARIABLE>` (handled by load.ts).
 *
 * A file's trailing line breaks are dropped (`echo secret > file` works). A file that cannot be
 * read is a configuration problem naming the key and the path, never the content. Every key set
 * from a file is remembered, so a validation error for it shows the mask instead of the value.
 */
import { readFileSync } from 'node:fs';
import type { ConfigProblem } from '../errors.js';

/** Reads a file's text; injectable so the deploy tests can map a mounted Secret to its data. */
export type ReadTextFile = (path: string) => string;

export const readTextFile: ReadTextFile = (path) => readFileSync(path, 'utf8');

/** `${file:/run/secrets/password}`; the path runs to the closing brace. */
const FILE_REFERENCE = /\$\{file:([^}]+)\}/g;

/** What a tree's file references came to: the problems, and the dotted keys whose values came from files. */
export interface FileValues {
  readonly problems: ConfigProblem[];
  readonly fromFiles: Set<string>;
}

export function emptyFileValues(): FileValues {
  return { problems: [], fromFiles: new Set() };
}

/** A file's content without its trailing line breaks, or the problem (key and path, not content). */
export function readValueFile(
  path: string,
  key: string,
  readFile: ReadTextFile,
): { value: string } | { problem: ConfigProblem } {
  try {
    return { value: readFile(path).replace(/(\r?\n)+$/, '') };
  } catch (error) {
    return {
      problem: {
        key,
        expected: 'a readable file holding the value',
        found: `${path} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
      },
    };
  }
}

/** The tree with every `${file:…}` reference replaced by the file's content; problems and file-borne keys go into `into`. */
export function resolveFileReferences(tree: unknown, readFile: ReadTextFile, into: FileValues): unknown {
  return resolve(tree, [], readFile, into);
}

function resolve(value: unknown, path: readonly string[], readFile: ReadTextFile, into: FileValues): unknown {
  if (typeof value === 'string') return resolveString(value, path.join('.') || '(root)', readFile, into);
  if (Array.isArray(value)) return value.map((item, index) => resolve(item, [...path, String(index)], readFile, into));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [key, resolve(inner, [...path, key], readFile, into)]),
    );
  }
  return value;
}

function resolveString(text: string, key: string, readFile: ReadTextFile, into: FileValues): string {
  if (!text.includes('${file:')) return text;
  into.fromFiles.add(key);
  return text.replace(FILE_REFERENCE, (reference, path: string) => {
    const read = readValueFile(path.trim(), key, readFile);
    if ('problem' in read) {
      into.problems.push(read.problem);
      return reference;
    }
    return read.value;
  });
}

/** Whether the value at `key` came from a file or holds one that did (an error about it would show file content). */
export function isFromFile(key: readonly string[], fromFiles: ReadonlySet<string>): boolean {
  const dotted = key.join('.');
  for (const fileKey of fromFiles) {
    if (dotted === fileKey || dotted.startsWith(`${fileKey}.`) || dotted === '' || fileKey.startsWith(`${dotted}.`))
      return true;
  }
  return false;
}
