/**
 * A local webhook receiver for the simulator's delivery tests (node:http on port 0): records
 * every POST with its headers and raw body, and answers what the test tells it to (a status, or
 * no answer at all until it is closed, to make the simulator time out).
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DeliveryBody } from '../../simulator/index.js';
import { waitFor } from '../../testkit/wait-for.js';

export interface Received {
  /** The URL as the receiver was called: what the webhook was registered with. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly json: DeliveryBody;
  readonly messageId: string;
  readonly previousMessageLost: boolean;
}

/** A status to answer with, or 'hang' to keep the request open until the receiver closes. */
export type Answer = number | 'hang';

export interface Receiver {
  readonly origin: string;
  readonly received: Received[];
  /** Decides each answer; `seen` counts the requests with the same MessageId so far (1 on the first). */
  answer: (request: Received, seen: number) => Answer;
  /** A registrable URL of this receiver for one (domain, type). */
  urlFor(domain: string, type: string): string;
  /** Waits until `count` requests matched. */
  waitFor(count: number, match?: (request: Received) => boolean, what?: string): Promise<Received[]>;
  close(): Promise<void>;
}

const header = (headers: IncomingHttpHeaders, name: string): string => {
  const value = headers[name];
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
};

export async function startReceiver(): Promise<Receiver> {
  const hanging = new Set<ServerResponse>();
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const entry: Received = {
        url: `${receiver.origin}${request.url ?? '/'}`,
        headers: request.headers,
        body,
        json: JSON.parse(body) as DeliveryBody,
        messageId: header(request.headers, 'x-bookeo-messageid'),
        previousMessageLost: header(request.headers, 'x-bookeo-previousmessagelost') === 'true',
      };
      received.push(entry);
      const seen = received.filter((r) => r.messageId === entry.messageId).length;
      const answer = receiver.answer(entry, seen);
      if (answer === 'hang') {
        hanging.add(response);
        return;
      }
      response.writeHead(answer, { 'content-type': 'text/plain' });
      response.end(answer < 300 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const receiver: Receiver = {
    origin,
    received,
    answer: () => 200,
    urlFor: (domain, type) => `${origin}/hooks/acme?domain=${domain}&type=${type}`,
    waitFor: (count, match = () => true, what = `${count} deliveries`) =>
      waitFor(
        () => {
          const matching = received.filter(match);
          return matching.length >= count ? matching : undefined;
        },
        { what, timeoutMs: 5_000, intervalMs: 5 },
      ),
    close: () =>
      new Promise<void>((resolve) => {
        for (const response of hanging) response.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return receiver;
}
