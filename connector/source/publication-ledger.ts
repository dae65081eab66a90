/**
 * What this task's recent transactions published, per entity: the version (content hash, or
 * DELETED) and when the reads behind it began. Webhook deliveries and polls publish the same
 * entities through one committer; the ledger, consulted inside the committer's serial section,
 * keeps them from publishing one state twice or an older read over a newer one. Rules apply only
 * where a webhook step is involved (either side), so polls among themselves behave as before.
 *
 * Read times are local monotonic milliseconds (performance.now), only ever compared within this
 * process; entries are forgotten after `retainMs`, long past any read still in flight.
 *
 * Public API: createPublicationLedger(options?): PublicationLedger
 */
import { performance } from 'node:perf_hooks';
import { RECORD_HEADER } from '../../contract/headers.js';
import { parseIdempotencyKey } from '../../contract/idempotency-key.js';
import type { OutgoingRecord } from '../../kafka/records.js';

export interface LedgerStep {
  readonly records: readonly OutgoingRecord[];
  /** When the reads behind the step began (performance.now); unknown for steps that do not say. */
  readonly readAt?: number;
  /** The step publishes webhook deliveries. */
  readonly webhook?: boolean;
}

export interface LedgerFilter {
  /** The records to write. */
  readonly kept: readonly OutgoingRecord[];
  /** Records left out because a newer read of their entity was published already. */
  readonly stale: ReadonlySet<OutgoingRecord>;
  /** Records left out because their entity's very version was published already. */
  readonly duplicate: ReadonlySet<OutgoingRecord>;
}

export interface PublicationLedger {
  filter(step: LedgerStep): LedgerFilter;
  /** After the step's transaction committed: its records are what the topic now holds. */
  remember(step: LedgerStep, written: readonly OutgoingRecord[]): void;
}

interface Entry {
  readonly version: string;
  readonly readAt: number;
  readonly webhook: boolean;
  readonly rememberedAt: number;
}

const DEFAULT_RETAIN_MS = 60 * 60 * 1000;

function entityOf(record: OutgoingRecord): { key: string; version: string } | undefined {
  const parsed = parseIdempotencyKey(record.headers?.[RECORD_HEADER.idempotencyKey]);
  if (parsed === undefined) return undefined;
  return { key: `${parsed.account}/${parsed.resource}/${parsed.id}`, version: parsed.version };
}

export function createPublicationLedger(options: { retainMs?: number; clock?: () => number } = {}): PublicationLedger {
  const retainMs = options.retainMs ?? DEFAULT_RETAIN_MS;
  const clock = options.clock ?? (() => performance.now());
  /** In the order remembered (an update moves an entry to the end), so the oldest are forgotten first. */
  const entries = new Map<string, Entry>();

  const forgetOld = (now: number): void => {
    for (const [key, entry] of entries) {
      if (now - entry.rememberedAt <= retainMs) return;
      entries.delete(key);
    }
  };

  return {
    filter(step) {
      const stale = new Set<OutgoingRecord>();
      const duplicate = new Set<OutgoingRecord>();
      const kept = step.records.filter((record) => {
        const entity = entityOf(record);
        const entry = entity === undefined ? undefined : entries.get(entity.key);
        if (entity === undefined || entry === undefined || !(entry.webhook || step.webhook === true)) return true;
        if (entry.version === entity.version) {
          duplicate.add(record);
          return false;
        }
        if (step.readAt !== undefined && entry.readAt > step.readAt) {
          stale.add(record);
          return false;
        }
        return true;
      });
      return { kept, stale, duplicate };
    },
    remember(step, written) {
      const now = clock();
      forgetOld(now);
      for (const record of written) {
        const entity = entityOf(record);
        if (entity === undefined) continue;
        entries.delete(entity.key);
        entries.set(entity.key, {
          version: entity.version,
          // A step that does not say when it read counts as older than any that does.
          readAt: step.readAt ?? Number.NEGATIVE_INFINITY,
          webhook: step.webhook === true,
          rememberedAt: now,
        });
      }
    },
  };
}
