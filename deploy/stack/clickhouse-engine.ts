/**
 * The one chDB session the ClickHouse front owns, and the queue in front of it. chDB binds one data
 * folder per process and a session's `SET`/`USE` state is shared by every query on it, so queries
 * run strictly one at a time: per-request settings and database are applied, the query runs, and
 * both are reset before the next request sees the session.
 *
 * Query parameters are bound with `SET param_<name> = '<text>'` rather than chdb's queryBind: the
 * HTTP value is already ClickHouse's text form of the value (what @clickhouse/client sends), and
 * queryBind would escape it a second time (breaking strings with escapes and arrays with quotes).
 * ClickHouse has no way to unset a parameter, so one stays defined in the session afterwards.
 */
import { Session } from 'chdb';
import { quoteIdentifier, quoteString } from './clickhouse-http-protocol.js';

export interface EngineQuery {
  readonly sql: string;
  /** chDB's output format when the statement has no FORMAT clause (ClickHouse's `default_format`). */
  readonly format: string;
  readonly queryParams: Readonly<Record<string, string>>;
  readonly settings: Readonly<Record<string, string>>;
  readonly database: string | undefined;
}

export interface EngineResult {
  readonly body: Buffer;
  readonly rowsRead: number;
  readonly bytesRead: number;
  readonly elapsedSeconds: number;
}

export class ClickHouseEngine {
  readonly #session: Session;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(dataDir: string) {
    this.#session = new Session(dataDir);
  }

  /** Runs one request's statement with its settings and database, after every earlier request. */
  run(query: EngineQuery): Promise<EngineResult> {
    const next = this.#tail.then(() => this.#runNow(query));
    this.#tail = next.catch(() => undefined);
    return next;
  }

  async #runNow(query: EngineQuery): Promise<EngineResult> {
    const applied: string[] = [];
    const switchDatabase = query.database !== undefined && query.database !== '' && query.database !== 'default';
    try {
      if (switchDatabase) await this.#session.queryAsync(`USE ${quoteIdentifier(query.database as string)}`);
      for (const [name, value] of Object.entries(query.settings)) {
        // Names (of settings and parameters) are checked against [A-Za-z_][A-Za-z0-9_]* by the protocol layer.
        await this.#session.queryAsync(`SET ${name} = ${quoteString(value)}`);
        applied.push(name);
      }
      for (const [name, value] of Object.entries(query.queryParams)) {
        await this.#session.queryAsync(`SET param_${name} = ${quoteString(value)}`);
      }
      const result = await this.#session.queryAsync(query.sql, { format: query.format });
      const bytes = result.bytes();
      return {
        body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        rowsRead: result.rowsRead,
        bytesRead: result.bytesRead,
        elapsedSeconds: result.elapsed,
      };
    } finally {
      for (const name of applied) await this.#session.queryAsync(`SET ${name} = DEFAULT`);
      if (switchDatabase) await this.#session.queryAsync('USE default');
    }
  }

  /** Waits for queued work, then releases the data folder. */
  async close(): Promise<void> {
    await this.#tail;
    this.#session.close();
  }
}
