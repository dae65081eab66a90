/**
 * Shared set-up of the webhook delivery tests: a simulator on a virtual clock with a short answer
 * window and long retry back-off (retries are driven by advancing the clock, not by waiting), a
 * local receiver, registration helpers and waits on the simulator's delivery view.
 */
import type { Delivery, RunningSimulator } from '../../simulator/index.js';
import { startSimulator } from '../../simulator/index.js';
import { waitFor } from '../../testkit/wait-for.js';
import { del, post } from './helpers.js';
import { startReceiver, type Receiver } from './webhook-receiver.js';

/** Longer than any retry delay below: one advance makes the next attempt due. */
export const RETRY_ADVANCE_SECONDS = 120;

export interface Harness {
  readonly sim: RunningSimulator;
  readonly receiver: Receiver;
  readonly apiKey: string;
  /** Registers the receiver for (domain, type); returns the webhook id. */
  register(domain: string, type: string): Promise<string>;
  /** Deletes what this harness registered, clears faults, deliveries and what the receiver saw. */
  reset(): Promise<void>;
  /** The delivery of a message once `done` holds for it. */
  delivery(match: (d: Delivery) => boolean, done: (d: Delivery) => boolean, what: string): Promise<Delivery>;
  /** Advances the clock through retries until the message is delivered, lost or canceled. */
  settle(messageId: string): Promise<Delivery>;
  /** Every delivery once there are at least `count` (changes are queued just after the mutation). */
  queued(count: number): Promise<Delivery[]>;
  /** Every delivery queued so far once none of them is queued, sending or retrying. */
  quiet(): Promise<Delivery[]>;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const sim = await startSimulator({
    seed: 11,
    scale: 300,
    webhooks: { timeoutMs: 300, retryDelaysMs: [60_000, 120_000], blockAfterLost: 2, reorderHoldMs: 2_000 },
  });
  const receiver = await startReceiver();
  const apiKey = sim.apiKeys[0] ?? '';
  const registered: string[] = [];
  const delivery: Harness['delivery'] = (match, done, what) =>
    waitFor(
      () => {
        const found = sim.admin.deliveries().find(match);
        return found !== undefined && done(found) ? found : undefined;
      },
      { what, timeoutMs: 5_000, intervalMs: 5 },
    );
  return {
    sim,
    receiver,
    apiKey,
    async register(domain, type) {
      const answer = await post(sim, '/webhooks', { url: receiver.urlFor(domain, type), domain, type });
      if (answer.status !== 201) throw new Error(`registration failed: ${JSON.stringify(answer.body)}`);
      registered.push(String(answer.body.id));
      return String(answer.body.id);
    },
    async reset() {
      for (const id of registered.splice(0)) await del(sim, `/webhooks/${id}`);
      sim.admin.clearFaults();
      sim.admin.clearDeliveries();
      receiver.received.length = 0;
      receiver.answer = () => 200;
    },
    delivery,
    async settle(messageId) {
      for (;;) {
        const d = await delivery(
          (x) => x.messageId === messageId,
          (x) => x.state !== 'queued' && x.state !== 'sending',
          `message ${messageId} to be answered`,
        );
        if (d.state !== 'retrying') return d;
        sim.admin.advance(RETRY_ADVANCE_SECONDS);
      }
    },
    queued: (count) =>
      waitFor(
        () => {
          const all = sim.admin.deliveries();
          return all.length >= count ? all : undefined;
        },
        { what: `${count} deliveries queued`, timeoutMs: 5_000, intervalMs: 5 },
      ),
    quiet: () =>
      waitFor(
        () => {
          const all = sim.admin.deliveries();
          return all.length > 0 && all.every((d) => !['queued', 'sending', 'retrying'].includes(d.state))
            ? all
            : undefined;
        },
        { what: 'every delivery to finish', timeoutMs: 5_000, intervalMs: 5 },
      ),
    async close() {
      await sim.close();
      await receiver.close();
    },
  };
}
