/** Where a body's INSERT statement ends and its rows begin (deploy/stack/clickhouse-http-body.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_STATEMENT_BYTES, splitBodyStatement } from '../../deploy/stack/clickhouse-http-body.js';

const rows = Buffer.from([0x0a, 0x00, 0xff, 0x20, 0x0d, 0x0a, 0x00]);

function split(statement: string, data: Buffer = rows, complete = true) {
  return splitBodyStatement(Buffer.concat([Buffer.from(statement, 'utf8'), data]), complete);
}

describe('splitBodyStatement', () => {
  it('takes the rows after FORMAT name and one line break, byte for byte (binary rows may start with a line break)', () => {
    const body = Buffer.concat([Buffer.from('INSERT INTO t FORMAT RowBinary\n'), rows]);
    const result = splitBodyStatement(body, true);
    assert.equal(result.kind, 'insert');
    assert.ok(result.kind === 'insert');
    assert.equal(result.statement, 'INSERT INTO t FORMAT RowBinary');
    assert.deepEqual(body.subarray(result.dataOffset), rows);
  });

  it('skips spaces, tabs and a CRLF before the rows, but no more than one line break', () => {
    const result = split('INSERT INTO t FORMAT TSV \t\r\n', Buffer.from('\n1\t2\n'));
    assert.ok(result.kind === 'insert');
    assert.equal(result.dataOffset, 'INSERT INTO t FORMAT TSV \t\r\n'.length);
  });

  it('knows database-qualified, quoted and unicode tables, column lists, SETTINGS and VALUES', () => {
    const cases: Array<[string, string]> = [
      ['INSERT INTO db.`tâble` (a, `b c`) FORMAT Native\n', 'INSERT INTO db.`tâble` (a, `b c`) FORMAT Native'],
      [
        'insert into table "db"."t" settings async_insert=0, x=\'FORMAT\' format JSONEachRow\n',
        'insert into table "db"."t" settings async_insert=0, x=\'FORMAT\' format JSONEachRow',
      ],
      ['INSERT INTO t VALUES', 'INSERT INTO t VALUES'],
    ];
    for (const [head, statement] of cases) {
      const result = split(head, Buffer.from(' (1, 2)'));
      assert.ok(result.kind === 'insert', head);
      assert.equal(result.statement, statement);
    }
    const values = split('INSERT INTO t (a) VALUES', Buffer.from(" (1),('x')"));
    assert.ok(values.kind === 'insert');
    assert.equal(values.dataOffset, 'INSERT INTO t (a) VALUES'.length, 'VALUES rows start right after the keyword');
  });

  it('asks for more bytes while the statement, its format name or the line break after it may still be cut', () => {
    for (const partial of [
      '',
      '  ',
      'INS',
      'INSERT INTO t',
      'INSERT INTO t FORMAT RowBin',
      'INSERT INTO t FORMAT RowBinary ',
    ]) {
      assert.equal(splitBodyStatement(Buffer.from(partial), false).kind, 'more', JSON.stringify(partial));
    }
    assert.equal(splitBodyStatement(Buffer.from('INSERT INTO t FORMAT RowBinary'), true).kind, 'insert');
  });

  it('reads everything else as text: other statements, INSERT … SELECT, table functions, overlong heads', () => {
    for (const statement of [
      'SELECT 1 FORMAT JSON',
      'CREATE TABLE t (a UInt8) ENGINE = Memory',
      'INSERT INTO t SELECT number FROM numbers(3)',
      "INSERT INTO FUNCTION file('x.tsv') FORMAT TSV\n",
      'INSERTS',
    ]) {
      assert.equal(split(statement, Buffer.alloc(0), true).kind, 'text', statement);
    }
    assert.equal(split('SELE', Buffer.alloc(0), false).kind, 'text', 'no INSERT can start this way');
    const long = Buffer.concat([Buffer.from('INSERT INTO t SELECT '), Buffer.alloc(MAX_STATEMENT_BYTES, 0x31)]);
    assert.equal(splitBodyStatement(long, false).kind, 'text');
  });
});
