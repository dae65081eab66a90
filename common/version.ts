/**
 * The package's version, read from package.json, the one place it is written (the CLI's
 * `--version`, the image tag in the docs and deploy files follow it). The file sits at the package
 * root, one folder above this module in the sources and two above it in the build (`dist/common/`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageVersion(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, '..', 'package.json'), join(here, '..', '..', 'package.json')];
  const found = candidates.find(existsSync);
  if (found === undefined) throw new Error(`package.json not found in ${candidates.join(' or ')}`);
  const { version } = JSON.parse(readFileSync(found, 'utf8')) as { version?: unknown };
  if (typeof version !== 'string') throw new Error(`${found} has no version`);
  return version;
}
