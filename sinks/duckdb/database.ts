/**
 * The database file and the connections the destination writes through.
 *
 * - DuckDB lets one process hold a file for writing. The file is opened on first use (so a sink
 *   that cannot get it retries like any unavailable destination) and released by close(): then the
 *   DuckDB CLI or Python can open it.
 * - Instances come from node-api's per-process cache, keyed by the absolute path: two instances of
 *   one file in one process would corrupt it, and the cache makes a second destination (freeze
 *   mode next to evolve, a test reading back) share the instance instead. The file is released
 *   when the last user in the process closes.
 * - One connection per table ("lane"), running one piece of work at a time: a transaction belongs
 *   to a connection, so batches must not interleave their statements on one; and a table's DDL
 *   (prepare adding a column) and merges (its partitions' batches) run one after the other, never
 *   racing in DuckDB's optimistic concurrency control. Different tables write in parallel:
 *   measured on 2 cores with 3 tables loading at once, about 15-30% more rows/s than one shared
 *   connection, because one batch's merge leaves cores idle that another's can use.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { classifyOpenError } from './errors.js';

/**
 * A connection and the catalog name of the file (DuckDB names it after the file). Table names are
 * always qualified with it: `"schema"."table"` alone is ambiguous when the schema is named like
 * the file (`bookeo.duckdb` with schema `bookeo`).
 */
export interface Session {
  readonly connection: DuckDBConnection;
  readonly catalog: string;
}

export interface DuckDBFile {
  readonly path: string;
  /** Runs `work` on the connection of `lane` after the lane's earlier work, opening the file first if needed. */
  exclusive<T>(lane: string, work: (session: Session) => Promise<T>): Promise<T>;
  /**
   * A connection of its own for a long streaming read, which must not hold up a table's writes;
   * the caller closes it. It reads a consistent snapshot (DuckDB's MVCC), whatever lanes commit.
   */
  reader(): Promise<Session>;
  /** Waits for queued work, then releases the connections (and the file, if nothing else in the process uses it). */
  close(): Promise<void>;
}

interface Lane {
  session: Session | undefined;
  queue: Promise<unknown>;
}

interface Opened {
  readonly instance: DuckDBInstance;
  readonly catalog: string;
}

/** The engine's settings the configuration sets (`duckdb.memoryLimit`, `duckdb.checkpointThreshold`). */
export interface EngineSettings {
  readonly memoryLimit: string;
  readonly checkpointThreshold: string;
}

const quoted = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/** The catalog the file is attached as; applies the engine's settings on the way (global settings of the instance). */
async function prepareInstance(instance: DuckDBInstance, settings: EngineSettings): Promise<string> {
  const probe = await instance.connect();
  try {
    // Set with SET, not as open options: node-api caches one instance per file, and a reader
    // opening the same file without those options would otherwise be refused.
    await probe.run(`SET memory_limit = ${quoted(settings.memoryLimit)}`);
    await probe.run(`SET checkpoint_threshold = ${quoted(settings.checkpointThreshold)}`);
    return String((await probe.runAndReadAll('SELECT current_database()')).getRows()[0]?.[0]);
  } finally {
    probe.closeSync();
  }
}

export function duckdbFile(configuredPath: string, settings: EngineSettings): DuckDBFile {
  const path = resolve(configuredPath);
  let opened: Promise<Opened> | undefined;
  const lanes = new Map<string, Lane>();

  function open(): Promise<Opened> {
    if (opened === undefined) {
      const attempt = (async () => {
        let instance: DuckDBInstance;
        try {
          mkdirSync(dirname(path), { recursive: true });
          instance = await DuckDBInstance.fromCache(path);
        } catch (error) {
          throw classifyOpenError(error, path);
        }
        return { instance, catalog: await prepareInstance(instance, settings) };
      })();
      opened = attempt;
      // A failed open (the file held by another process) is tried again by the next call.
      attempt.catch(() => {
        if (opened === attempt) opened = undefined;
      });
    }
    return opened;
  }

  async function connect(): Promise<Session> {
    const { instance, catalog } = await open();
    return { connection: await instance.connect(), catalog };
  }

  function laneOf(name: string): Lane {
    let lane = lanes.get(name);
    if (lane === undefined) {
      lane = { session: undefined, queue: Promise.resolve() };
      lanes.set(name, lane);
    }
    return lane;
  }

  return {
    path,
    exclusive(name, work) {
      const lane = laneOf(name);
      const run = lane.queue.then(async () => {
        lane.session ??= await connect();
        return work(lane.session);
      });
      lane.queue = run.catch(() => undefined);
      return run;
    },
    reader: connect,
    async close() {
      await Promise.all([...lanes.values()].map((lane) => lane.queue));
      for (const lane of lanes.values()) lane.session?.connection.closeSync();
      lanes.clear();
      const current = await opened?.catch(() => undefined);
      opened = undefined;
      current?.instance.closeSync();
    },
  };
}
