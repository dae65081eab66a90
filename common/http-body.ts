/**
 * Reading a small JSON request body with a size bound, for our HTTP servers (the ops API, the
 * simulator). Each caller turns the two failures into its own error type (status + message).
 */
import type { IncomingMessage } from 'node:http';

export type HttpFailure = (status: number, message: string) => Error;

/** The parsed body, or undefined when it is empty; 413 past `maxBytes`, 400 when not JSON. */
export async function readJsonBody(request: IncomingMessage, maxBytes: number, fail: HttpFailure): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw fail(413, `body over ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw fail(400, 'the body is not valid JSON');
  }
}
