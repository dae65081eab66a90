/** The reconcile report: one line per resource and account, then the first few ids of each difference. */
import { formatTable } from '../common/text-table.js';
import type { Difference } from './compare.js';
import type { ResourceReconciliation } from './reconcile.js';

const EXAMPLES = 5;

function counts(differences: readonly Difference[], layer: Difference['layer']): string {
  const of = (kind: Difference['kind']): number =>
    differences.filter((d) => d.layer === layer && d.kind === kind).length;
  return `${of('missing')}/${of('extra')}/${of('stale')}`;
}

export function formatReport(results: readonly ResourceReconciliation[]): string {
  const lines = [
    formatTable(
      [
        'resource',
        'account',
        'bookeo',
        'topic (live)',
        'table',
        'in flight',
        'topic missing/extra/stale',
        'table missing/extra/stale',
      ],
      results.map((r) => [
        r.resource,
        r.account,
        r.bookeo,
        r.topic,
        r.table,
        r.inFlight,
        counts(r.differences, 'topic'),
        counts(r.differences, 'table'),
      ]),
    ),
  ];
  for (const result of results) {
    const groups = new Map<string, string[]>();
    for (const difference of result.differences) {
      const label = `${difference.kind} in ${difference.layer}`;
      groups.set(label, [...(groups.get(label) ?? []), difference.id]);
    }
    for (const [label, ids] of groups) {
      lines.push(
        `${result.resource} (${result.account}) ${label}: ${ids.length} — e.g. ${ids.slice(0, EXAMPLES).join(', ')}${ids.length > EXAMPLES ? ', …' : ''}`,
      );
    }
  }
  const total = results.reduce((sum, r) => sum + r.differences.length, 0);
  lines.push(total === 0 ? 'no differences' : `${total} difference(s)`);
  return lines.join('\n');
}
