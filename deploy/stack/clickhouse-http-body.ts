/**
 * Where an INSERT sent in the request body ends and its rows begin. ClickHouse reads such a
 * statement (after the `query` parameter's text and a newline, when both are given) up to its
 * FORMAT name or VALUES keyword and takes every byte after it as the rows. This finds that
 * boundary on the raw bytes, so binary rows are never decoded as text. Pure, unit-tested
 * (test/unit/clickhouse-http-body.test.ts).
 */

/** A statement longer than this before its rows is not an INSERT awaiting rows; it is read as text. */
export const MAX_STATEMENT_BYTES = 1024 * 1024;

const WS = '[ \\t\\r\\n\\f]';
const IDENT = '(?:`(?:[^`\\\\]|\\\\.)*`|"(?:[^"\\\\]|\\\\.)*"|[A-Za-z_][A-Za-z0-9_]*)';
/**
 * `INSERT INTO [TABLE] [db.]table [(columns)] [SETTINGS …] FORMAT name` or `… VALUES`, at the
 * start. Only a table target is recognised: `INSERT … SELECT` and table functions carry no rows.
 */
const BODY_INSERT = new RegExp(
  `^${WS}*INSERT${WS}+INTO${WS}+(?:TABLE${WS}+)?${IDENT}(?:${WS}*\\.${WS}*${IDENT})?` +
    `(?:${WS}*\\([^()]*\\))?(?:${WS}+SETTINGS${WS}[^;]*?)?` +
    `(?:${WS}+FORMAT${WS}+[A-Za-z0-9_]+|${WS}*VALUES)(?![A-Za-z0-9_])`,
  'i',
);
const STARTS_WITH_INSERT = new RegExp(`^${WS}*INSERT(?![A-Za-z0-9_])`, 'i');
/** Bytes that may still become `INSERT` once more arrive. */
const INSERT_PREFIX = new RegExp(`^${WS}*(?:I(?:N(?:S(?:E(?:R)?)?)?)?)?$`, 'i');

export type BodyStatement =
  /** `statement` is the INSERT up to its format; the rows start at byte `dataOffset`. */
  | { readonly kind: 'insert'; readonly statement: string; readonly dataOffset: number }
  /** Not an INSERT awaiting rows: the whole body is the statement's text. */
  | { readonly kind: 'text' }
  /** The bytes so far cannot tell yet: read more of the body. */
  | { readonly kind: 'more' };

const MORE: BodyStatement = { kind: 'more' };
const TEXT: BodyStatement = { kind: 'text' };

/**
 * Splits `head` (the first bytes of the statement; `complete` when the body has ended) into the
 * statement and the offset of its rows. As in ClickHouse, the rows after `FORMAT name` start past
 * spaces and tabs and at most one line break; after `VALUES` they start right away.
 */
export function splitBodyStatement(head: Buffer, complete: boolean): BodyStatement {
  // latin1: one character per byte, so string offsets are byte offsets and no byte is altered.
  const text = head.toString('latin1', 0, Math.min(head.length, MAX_STATEMENT_BYTES));
  if (!STARTS_WITH_INSERT.test(text)) {
    return !complete && INSERT_PREFIX.test(text) ? MORE : TEXT;
  }
  const match = BODY_INSERT.exec(text);
  if (!match) return complete || head.length >= MAX_STATEMENT_BYTES ? TEXT : MORE;
  const statementEnd = match[0].length;
  if (statementEnd === head.length && !complete) return MORE;
  let dataOffset = statementEnd;
  if (!/VALUES$/i.test(match[0])) {
    while (
      dataOffset < head.length &&
      (head[dataOffset] === 0x20 || head[dataOffset] === 0x09 || head[dataOffset] === 0x0c)
    )
      dataOffset += 1;
    if (dataOffset < head.length && head[dataOffset] === 0x0d) dataOffset += 1;
    if (dataOffset === head.length && !complete) return MORE;
    if (dataOffset < head.length && head[dataOffset] === 0x0a) dataOffset += 1;
  }
  return { kind: 'insert', statement: head.toString('utf8', 0, statementEnd), dataOffset };
}
