/**
 * ClickHouse's own Python client, clickhouse-connect (pinned in test/python/requirements.txt,
 * installed by .ci/run into <cache>/python-clients), against a second ClickHouse front of this
 * test's own: a query, the client's insert (statement in the body, Native rows after it, gzip
 * request body) and a raw RowBinary insert must read back exactly; its default LZ4 request body
 * must be refused by name.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { stackEndpoints } from '../../deploy/stack/endpoints.js';
import { startOwnClickHouseFront, type OwnClickHouseFront } from '../helpers/clickhouse-front.js';

const python = join(stackEndpoints().cacheDir, 'python-clients', 'bin', 'python');
const probe = resolve(import.meta.dirname, '..', 'python', 'clickhouse_connect_probe.py');

interface ProbeReport {
  readonly version: string;
  readonly query: unknown[][];
  readonly rows: unknown[][];
  readonly default_client_insert: string;
}

describe('clickhouse-connect (Python) against the ClickHouse front', () => {
  let front: OwnClickHouseFront;
  before(async () => {
    assert.ok(
      existsSync(python),
      `${python} is missing: .ci/run installs it (python3 -m venv <cache>/python-clients, then pip install -r test/python/requirements.txt)`,
    );
    front = await startOwnClickHouseFront();
  });
  after(async () => {
    await front?.stop();
  });

  it('runs a query, an insert and a RowBinary insert whose rows read back byte for byte', async () => {
    const url = new URL(front.url);
    const { stdout } = await promisify(execFile)(python, [probe, url.hostname, url.port, 'py_rows'], {
      timeout: 120_000,
    });
    const report = JSON.parse(stdout) as ProbeReport;
    assert.match(report.version, /^26\./);
    assert.deepEqual(report.query, [
      [0, '0'],
      [1, '2'],
      [2, '4'],
    ]);
    assert.deepEqual(report.rows, [
      [1, 'héllo ☃', '000AFF'],
      [2, 'trailing ', '0D0A00'],
      [10, 'zehn', '0A00'],
      [11, '', '200900'],
    ]);
    assert.match(report.default_client_insert, /Content-Encoding "lz4" is not supported by the local ClickHouse front/);
  });
});
