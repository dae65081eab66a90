/**
 * PostgreSQL for the stack: the server of the Debian packages (`apt-get install postgresql`, any
 * major version under /usr/lib/postgresql/<major>/bin), one cluster of the stack's own, created
 * once with initdb and listening on 127.0.0.1 only, over TCP (no Unix socket, so the system's
 * socket folder, writable by the `postgres` user only, is never needed).
 *
 * - The server refuses to run as root. When the stack runs as root (CI), initdb and the server run
 *   as the `postgres` system user the package creates, through setpriv, which execs in place: the
 *   recorded PID is the postmaster's own. That user cannot enter root's home (mode 0700), so the
 *   cluster then lives in its home, `~postgres/bookeo-connect-stack/<hash of the state dir>`, with a
 *   `data` link to it in the state dir; log and PID file stay in the state dir. The state dir is
 *   put in the command line as a custom setting, the marker that ties the PID to this stack.
 * - Bootstrapped in single-user mode before the first launch: role `bookeo` owns database `bookeo`
 *   and is trusted from 127.0.0.1 without password, like the other services of this stack; role
 *   `bookeo_auth` has the known password `bookeo-auth`, for tests of password authentication. Any
 *   other role needs a SCRAM password; `postgres` has none, so nobody logs in as superuser over
 *   TCP (a superuser can run programs as the server's OS user).
 * - TLS is available (clients choose) with a self-signed certificate for 127.0.0.1 and localhost
 *   from openssl (a dependency of the Debian package); `server.crt` in the state dir is the CA a
 *   verify-full client trusts.
 * - Stopped with SIGINT, PostgreSQL's "fast" shutdown: SIGTERM asks for a "smart" one, which waits
 *   until every client (a sink's idle pool, say) has disconnected.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, sep } from 'node:path';
import { ConnectError } from '../../common/errors.js';
import type { StackEndpoints } from './endpoints.js';
import { PrerequisiteError } from './errors.js';
import { probePostgres } from './health.js';
import type { LaunchSpec } from './processes.js';
import { servicePaths, type ServiceDefinition, type StackContext } from './service.js';

const PACKAGE_ROOT = '/usr/lib/postgresql';
const SERVER_USER = 'postgres';
/** Role of the stack's own password-authenticated login (see the module comment). */
export const PASSWORD_ROLE = { user: 'bookeo_auth', password: 'bookeo-auth' } as const;

const PG_HBA = `# Written by the bookeo-connect stack on every start.
# TYPE  DATABASE  USER    ADDRESS       METHOD
host    all       bookeo  127.0.0.1/32  trust
host    all       all     127.0.0.1/32  scram-sha-256
`;

const BOOTSTRAP_SQL = [
  'CREATE ROLE bookeo LOGIN',
  'CREATE DATABASE bookeo OWNER bookeo',
  `CREATE ROLE ${PASSWORD_ROLE.user} LOGIN PASSWORD '${PASSWORD_ROLE.password}'`,
].join('\n');

/** The CA certificate (the server's self-signed one) a verify-full client of the stack trusts. */
export function postgresCaFile(endpoints: StackEndpoints): string {
  return join(servicePaths(endpoints, 'postgres').dir, 'server.crt');
}

/** The server's bin folder: the major version the cluster was made with, else the newest installed. */
export function postgresBinDir(clusterMajor: string | undefined): string {
  let majors: string[] = [];
  try {
    majors = readdirSync(PACKAGE_ROOT).filter(
      (name) => /^\d+$/.test(name) && existsSync(join(PACKAGE_ROOT, name, 'bin', 'postgres')),
    );
  } catch {
    // No package root: handled below like an empty one.
  }
  if (clusterMajor !== undefined) {
    if (majors.includes(clusterMajor)) return join(PACKAGE_ROOT, clusterMajor, 'bin');
    throw new PrerequisiteError(
      `PostgreSQL ${clusterMajor} server binaries (the stack's cluster was created with them)`,
      `Install postgresql-${clusterMajor}, or remove the cluster to recreate it with ${majors.join(', ') || 'an installed version'}.`,
    );
  }
  const newest = majors.sort((a, b) => Number(b) - Number(a))[0];
  if (newest === undefined)
    throw new PrerequisiteError(
      `a PostgreSQL server under ${PACKAGE_ROOT}/<version>/bin`,
      'Install it with `apt-get install postgresql` (Debian/Ubuntu).',
    );
  return join(PACKAGE_ROOT, newest, 'bin');
}

interface ServerUser {
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

/** The `postgres` system user when we are root (the server must run as someone else), else undefined. */
async function serverUser(): Promise<ServerUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const entry = await run('getent', ['passwd', SERVER_USER], { cwd: '/' }).catch(() => '');
  const fields = entry.trim().split(':');
  if (fields.length < 7)
    throw new PrerequisiteError(
      `the ${SERVER_USER} system user (PostgreSQL refuses to run as root)`,
      'It comes with `apt-get install postgresql`.',
    );
  return { uid: Number(fields[2]), gid: Number(fields[3]), home: fields[5] as string };
}

/** The command line that runs `command` as the server user: setpriv replaces itself with it, keeping the PID. */
function asServerUser(
  user: ServerUser | undefined,
  command: string,
  args: readonly string[],
): { command: string; args: string[] } {
  if (user === undefined) return { command, args: [...args] };
  return {
    command: 'setpriv',
    args: ['--reuid', SERVER_USER, '--regid', SERVER_USER, '--init-groups', '--', command, ...args],
  };
}

/** Runs a command to its end; resolves with stdout and stderr interleaved, rejects with them on failure. */
function run(command: string, args: readonly string[], options: { cwd: string; input?: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer): void => void (output += chunk.toString());
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve(output)
        : reject(new ConnectError(`${command} ${args.join(' ')} exited with ${code}:\n${output}`)),
    );
    // A command that does not read its input (getent) may exit before we finish writing: its exit
    // code is the answer, the broken pipe is not an error.
    child.stdin.once('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Where the cluster lives: in the state dir, or (as root) in the server user's home, linked from the state dir. */
function clusterDir(endpoints: StackEndpoints, user: ServerUser | undefined): string {
  const stateData = join(servicePaths(endpoints, 'postgres').dir, 'data');
  if (user === undefined) return stateData;
  const hash = createHash('sha256').update(endpoints.stateDir).digest('hex').slice(0, 12);
  return join(user.home, 'bookeo-connect-stack', hash);
}

function ownedBy(user: ServerUser | undefined, ...paths: string[]): void {
  for (const path of paths) {
    mkdirSync(path, { recursive: true });
    if (user !== undefined) chownSync(path, user.uid, user.gid);
  }
}

/**
 * initdb, certificate and roles, into a scratch folder renamed into place at the end: a cluster
 * half made by an interrupted first start is never mistaken for a finished one.
 */
async function initCluster(
  dataDir: string,
  bin: string,
  user: ServerUser | undefined,
  say: (line: string) => void,
): Promise<void> {
  const scratch = `${dataDir}.init`;
  rmSync(scratch, { recursive: true, force: true });
  ownedBy(user, scratch);
  chmodSync(scratch, 0o700);
  const as = (command: string, args: readonly string[], input?: string) => {
    const line = asServerUser(user, command, args);
    return run(line.command, line.args, { cwd: scratch, ...(input === undefined ? {} : { input }) });
  };
  say(`creating the PostgreSQL cluster in ${dataDir}`);
  // C collation over UTF-8: byte order, no dependency on the locales installed on the machine. The
  // authentication rules initdb writes are replaced by PG_HBA before the first launch.
  await as(join(bin, 'initdb'), [
    '-D',
    scratch,
    '-U',
    SERVER_USER,
    '--encoding=UTF8',
    '--no-locale',
    '--auth=trust',
    '--no-instructions',
  ]);
  await as('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '3650',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout',
    join(scratch, 'server.key'),
    '-out',
    join(scratch, 'server.crt'),
  ]);
  chmodSync(join(scratch, 'server.key'), 0o600);
  // Single-user mode reads one statement per line; errors do not change its exit code, so the output is checked.
  const output = await as(join(bin, 'postgres'), ['--single', '-D', scratch, 'postgres'], `${BOOTSTRAP_SQL}\n`);
  if (/\b(ERROR|FATAL):/.test(output)) throw new ConnectError(`bootstrapping the roles failed:\n${output}`);
  renameSync(scratch, dataDir);
}

async function preparePostgres(context: StackContext): Promise<LaunchSpec> {
  const { endpoints } = context;
  const paths = servicePaths(endpoints, 'postgres');
  const user = await serverUser();
  const dataDir = clusterDir(endpoints, user);
  mkdirSync(paths.dir, { recursive: true });
  if (user !== undefined) {
    ownedBy(user, join(user.home, 'bookeo-connect-stack'));
    const link = join(paths.dir, 'data');
    if (!isSymlink(link) && !existsSync(link)) symlinkSync(dataDir, link);
  }
  const versionFile = join(dataDir, 'PG_VERSION');
  const clusterMajor = existsSync(versionFile) ? readFileSync(versionFile, 'utf8').trim() : undefined;
  const bin = postgresBinDir(clusterMajor);
  if (clusterMajor === undefined) await initCluster(dataDir, bin, user, context.say);
  // Rewriting keeps the owner initdb gave the file; the rules are the code's, whatever an older run wrote.
  writeFileSync(join(dataDir, 'pg_hba.conf'), PG_HBA);
  copyFileSync(join(dataDir, 'server.crt'), postgresCaFile(endpoints));
  const server = asServerUser(user, join(bin, 'postgres'), postgresArguments(endpoints, dataDir, `${paths.dir}${sep}`));
  return { command: server.command, args: server.args, cwd: dataDir };
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Server settings on the command line (postgresql.conf stays initdb's): address, TLS, logging to stderr (the stack's log). */
export function postgresArguments(endpoints: StackEndpoints, dataDir: string, marker: string): string[] {
  const url = new URL(endpoints.postgresUrl);
  const settings = {
    listen_addresses: url.hostname,
    port: url.port,
    unix_socket_directories: '',
    ssl: 'on',
    ssl_cert_file: 'server.crt',
    ssl_key_file: 'server.key',
    logging_collector: 'off',
    log_line_prefix: '%m [%p] %q%u@%d ',
    // A placeholder setting PostgreSQL accepts and ignores: it puts the marker in the command line.
    'bookeo_stack.dir': marker,
  };
  return ['-D', dataDir, ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`])];
}

export const postgresService: ServiceDefinition = {
  name: 'postgres',
  address: (endpoints) => `${endpoints.postgresUrl} (TLS optional)`,
  ports: (endpoints) => [Number(new URL(endpoints.postgresUrl).port)],
  // The server comes from Debian packages (.ci/run installs them); here we only check it is there.
  install: async () => {
    postgresBinDir(undefined);
  },
  prepare: preparePostgres,
  probe: probePostgres,
  stopSignal: 'SIGINT',
  startTimeoutMs: 60_000,
};
