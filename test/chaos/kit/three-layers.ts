/**
 * The check every chaos scenario ends with, once Bookeo stops changing and the faults are over:
 *
 * 1. Bookeo (the simulator) against each topic's latest state and against the ClickHouse table,
 *    through `reconcile` with no grace: nothing missing (lost), nothing stale or extra, nothing
 *    left in flight (the sink's group has committed up to the end of every topic).
 * 2. Every record of every resource topic read by an outside Avro client
 *    (@kafkajs/confluent-schema-registry, not the project's own decoder): each value decodes, and
 *    no key carries the same idempotency key twice in a row (the same version published twice).
 *
 * The wait for convergence is part of the measurement: it returns how long the layers took to
 * agree after the call.
 */
import { createLogger } from '../../../common/logger.js';
import { readTopicToEnd } from '../../../kafka/topic-reader.js';
import { readerGroupId } from '../../../contract/group-id.js';
import { headerText, RECORD_HEADER } from '../../../contract/headers.js';
import { RESOURCE_NAMES } from '../../../contract/resources.js';
import { resourceTopic } from '../../../contract/topics.js';
import { reconcile, type ResourceReconciliation } from '../../../reconcile/reconcile.js';
import { stackRegistry } from '../../helpers/stack.js';
import type { ChaosWorld } from './world.js';

export interface LayerDifference {
  readonly resource: string;
  readonly layer: string;
  readonly kind: string;
  readonly id: string;
}

export interface ThreeLayerReport {
  /** Milliseconds until Bookeo, topics and table agreed. */
  readonly convergedMs: number;
  readonly resources: readonly ResourceReconciliation[];
  /** Per key, an idempotency key that followed itself: `<topic> <idempotency key>`. */
  readonly duplicates: readonly string[];
  readonly undecodable: number;
  /** The first decoding failure, to say why. */
  readonly decodeError: string | undefined;
  readonly records: number;
}

function differencesOf(results: readonly ResourceReconciliation[]): LayerDifference[] {
  return results.flatMap((result) =>
    result.differences.map((difference) => ({ resource: result.resource, ...difference })),
  );
}

async function scanTopics(
  world: ChaosWorld,
): Promise<Pick<ThreeLayerReport, 'duplicates' | 'undecodable' | 'decodeError' | 'records'>> {
  const registry = stackRegistry();
  const duplicates: string[] = [];
  let undecodable = 0;
  let decodeError: string | undefined;
  let records = 0;
  // The topics of the resources the source runs (all of them unless `source.resources` says otherwise).
  const resources = world.config.source.resources ?? RESOURCE_NAMES;
  for (const topic of resources.map((resource) => resourceTopic(world.prefix, resource))) {
    const last = new Map<string, { version: string; at: string }>();
    await readTopicToEnd(world.kafka, {
      groupId: readerGroupId(),
      topic,
      onMessage: async (message, partition) => {
        records++;
        const key = message.key?.toString('hex') ?? '';
        const version = headerText(message.headers, RECORD_HEADER.idempotencyKey) ?? '';
        const at = `${partition}:${message.offset} fetched ${headerText(message.headers, RECORD_HEADER.fetchedAt) ?? '?'} for ${headerText(message.headers, RECORD_HEADER.request) ?? '?'}`;
        const previous = last.get(key);
        if (previous?.version === version) duplicates.push(`${topic} ${version} at ${previous.at} and ${at}`);
        last.set(key, { version, at });
        if (message.value === null) return;
        await registry.decode(message.value).catch((error: unknown) => {
          undecodable++;
          decodeError ??= `${topic}: ${error instanceof Error ? error.message : String(error)}`;
        });
      },
    });
  }
  return { duplicates, undecodable, decodeError, records };
}

/**
 * Waits (up to `timeoutMs`) until reconcile finds no difference and nothing in flight, then scans
 * the topics. Throws with the differences still found when the layers never agree.
 */
export async function checkThreeLayers(world: ChaosWorld, timeoutMs = 90_000): Promise<ThreeLayerReport> {
  const logger = createLogger({ level: 'silent', format: 'json' });
  const started = Date.now();
  let last: ResourceReconciliation[] = [];
  for (;;) {
    last = await reconcile({
      config: world.config,
      destinationName: 'clickhouse',
      logger,
      graceSeconds: 0,
      groupId: world.groupId,
    });
    const inFlight = last.reduce((sum, result) => sum + result.inFlight, 0);
    if (differencesOf(last).length === 0 && inFlight === 0) break;
    if (Date.now() - started > timeoutMs) {
      const summary = differencesOf(last)
        .slice(0, 12)
        .map((d) => `${d.resource} ${d.layer} ${d.kind} ${d.id}`);
      throw new Error(
        `the three layers did not agree within ${timeoutMs} ms: ${differencesOf(last).length} differences, ${inFlight} in flight\n${summary.join('\n')}\n${await world.logs()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  const convergedMs = Date.now() - started;
  return { convergedMs, resources: last, ...(await scanTopics(world)) };
}

/** One line per scenario for the test output: what was checked and how long recovery took. */
export function describeReport(report: ThreeLayerReport): string {
  const counts = report.resources.map((result) => `${result.resource}=${result.bookeo}`).join(' ');
  return `converged in ${(report.convergedMs / 1000).toFixed(1)} s; ${report.records} records scanned; entities: ${counts}`;
}
