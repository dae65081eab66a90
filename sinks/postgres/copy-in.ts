/**
 * `COPY … FROM STDIN` with pg alone (pg-copy-streams is not a dependency): a Submittable, pg's
 * public hook for custom queries (pg-cursor and pg-query-stream use it), that sends the statement,
 * answers the server's CopyInResponse with the body in CopyData messages and CopyDone, and settles
 * on ReadyForQuery, or at once on an error (pg detaches a failed query before the ReadyForQuery
 * that follows, as its own Query expects).
 *
 * The body is a text, or buffers produced lazily (the binary encoder, copy-binary.ts): each is sent
 * as it comes, so the server parses one buffer while the next rows are encoded; the producer waits
 * only when the socket holds data the kernel has not taken yet. When producing fails (a value the encoder
 * refuses), the COPY is abandoned with CopyFail and the producer's error, not the server's
 * answer to CopyFail, is what the caller gets.
 *
 * It needs three methods of pg's Connection that its type declarations leave out
 * (`sendCopyFromChunk`, `endCopyFrom`, `sendCopyFail`); they are the ones pg-copy-streams calls.
 */
import type { Socket } from 'node:net';
import type { ClientBase, Connection, Submittable } from 'pg';

interface CopyConnection extends Connection {
  readonly stream: Socket;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  sendCopyFail(message: string): void;
}

/** Until the socket has passed on what it holds (or closed): the server is slower than the encoding. */
function drained(stream: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

/** CopyData messages of at most this size: the server reads them as they come, nothing is re-buffered whole. */
const CHUNK_BYTES = 256 * 1024;

type Callback = (error: Error | undefined, rows?: number) => void;

/** The members pg calls on an active query; those a COPY never triggers are no-ops. */
class CopyFromStdin implements Submittable {
  /** pg wraps this one for `query_timeout`, so settling goes through it. */
  callback: Callback;
  private readonly text: string;
  private readonly body: Iterable<Buffer>;
  private rows: number | undefined;
  private settled = false;
  /** The producer's failure, reported instead of the server's answer to our CopyFail. */
  private produceError: Error | undefined;

  constructor(text: string, body: Iterable<Buffer>, callback: Callback) {
    this.text = text;
    this.body = body;
    this.callback = callback;
  }

  submit(connection: Connection): void {
    connection.query(this.text);
  }

  handleCopyInResponse(connection: CopyConnection): void {
    // Nothing in send() is expected to reject, but a rejection must settle the query, not go unhandled.
    this.send(connection).catch((error: unknown) =>
      this.settle(error instanceof Error ? error : new Error(String(error))),
    );
  }

  private async send(connection: CopyConnection): Promise<void> {
    try {
      for (const part of this.body) {
        for (let at = 0; at < part.length; at += CHUNK_BYTES)
          connection.sendCopyFromChunk(
            at === 0 && part.length <= CHUNK_BYTES ? part : part.subarray(at, at + CHUNK_BYTES),
          );
        // Encoding goes on while the kernel takes the buffers; only a full socket makes it wait
        // (and lets other batches run), so a batch is encoded in one stretch as the server stores it.
        if (connection.stream.writableLength > 0) await drained(connection.stream);
        if (this.settled) return; // the server failed the COPY meanwhile
      }
    } catch (error) {
      this.produceError = error instanceof Error ? error : new Error(String(error));
      // The server answers CopyFail with an error, which settles the query with produceError.
      connection.sendCopyFail(this.produceError.message);
      return;
    }
    connection.endCopyFrom();
  }

  handleCommandComplete(message: { text?: string }): void {
    // `COPY 1234`
    this.rows = Number(/\d+$/.exec(message.text ?? '')?.[0] ?? NaN);
  }

  handleError(error: Error): void {
    this.settle(this.produceError ?? error);
  }

  handleReadyForQuery(): void {
    this.settle(undefined);
  }

  private settle(error: Error | undefined): void {
    if (this.settled) return;
    this.settled = true;
    this.callback(error, this.rows);
  }

  handleRowDescription(): void {}
  handleDataRow(): void {}
  handlePortalSuspended(): void {}
  handleEmptyQuery(): void {}
  handleCopyData(): void {}
}

/** Runs `COPY <target> FROM STDIN` with this body (text, or binary buffers, possibly produced lazily); resolves with the number of rows the server read. */
export function copyFromStdin(client: ClientBase, statement: string, body: string | Iterable<Buffer>): Promise<number> {
  return new Promise((resolve, reject) => {
    client.query(
      new CopyFromStdin(statement, typeof body === 'string' ? [Buffer.from(body, 'utf8')] : body, (error, rows) =>
        error ? reject(error) : resolve(rows ?? 0),
      ),
    );
  });
}
