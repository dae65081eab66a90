/** The Grafana dashboard uses only metrics and labels the source and sink registries define, and shows every one. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createMetricsRegistry } from '../../common/metrics.js';
import { createSourceMetrics } from '../../connector/source/metrics.js';
import { createSinkMetrics } from '../../sinks/runner/metrics.js';
import { deploy, isObject, obj, arr } from '../helpers/deploy-files.js';

describe('Grafana dashboard', () => {
  const TARGET_LABELS = new Set(['job', 'instance', 'pod', 'namespace', 'container', 'service', 'endpoint']);
  /** `run` puts each sink's metrics in a registry labelled with its destination (app/app.ts). */
  const RUN_SINK_LABELS = ['destination'];
  const dashboardText = readFileSync(join(deploy, 'grafana', 'bookeo-connect.json'), 'utf8');

  async function metricCatalog(): Promise<Map<string, { type: string; labels: readonly string[] }>> {
    const registry = createMetricsRegistry();
    createSourceMetrics(registry);
    createSinkMetrics(registry);
    const catalog = new Map<string, { type: string; labels: readonly string[] }>();
    for (const metric of await registry.getMetricsAsJSON()) {
      const labels = [
        ...((registry.getSingleMetric(metric.name) as unknown as { labelNames?: readonly string[] }).labelNames ?? []),
      ];
      if (metric.name.startsWith('bookeo_connect_sink_')) labels.push(...RUN_SINK_LABELS);
      catalog.set(metric.name, { type: String(metric.type), labels });
      if (String(metric.type) === 'histogram') {
        catalog.set(`${metric.name}_bucket`, { type: 'series', labels: [...labels, 'le'] });
        catalog.set(`${metric.name}_sum`, { type: 'series', labels });
        catalog.set(`${metric.name}_count`, { type: 'series', labels });
      }
    }
    return catalog;
  }

  /** Every PromQL text: panel targets and template variable queries. */
  function queries(): string[] {
    const found: string[] = [];
    const walk = (value: unknown, key: string): void => {
      if (typeof value === 'string' && (key === 'expr' || key === 'definition' || key === 'query')) found.push(value);
      else if (Array.isArray(value)) value.forEach((item) => walk(item, key));
      else if (isObject(value)) for (const [k, v] of Object.entries(value)) walk(v, k);
    };
    walk(JSON.parse(dashboardText), '');
    return found;
  }

  it('uses only metric names and labels the source and sink registries define', async () => {
    const catalog = await metricCatalog();
    const texts = queries();
    assert.ok(texts.length >= 20, `found ${texts.length} queries`);
    for (const text of texts) {
      const names = [...text.matchAll(/\bbookeo_connect_[a-z0-9_]+\b/g)].map((m) => m[0]);
      assert.ok(names.length > 0, `query uses a bookeo-connect metric: ${text}`);
      const allowed = new Set(TARGET_LABELS);
      for (const name of names) {
        const metric = catalog.get(name);
        assert.ok(metric !== undefined, `${name} is not a metric of the code (query: ${text})`);
        for (const label of metric.labels) allowed.add(label);
      }
      const used = [
        ...[...text.matchAll(/\{([^}]*)\}/g)].flatMap((m) =>
          [...(m[1] as string).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1] as string),
        ),
        ...[...text.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)].flatMap((m) =>
          (m[1] as string)
            .split(',')
            .map((l) => l.trim())
            .filter(Boolean),
        ),
        ...[...text.matchAll(/label_values\([^,]*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)/g)].map((m) => m[1] as string),
      ];
      for (const label of used)
        assert.ok(allowed.has(label), `label ${label} does not exist on ${names.join(', ')} (query: ${text})`);
    }
  });

  it('legends name only labels the series have', async () => {
    const catalog = await metricCatalog();
    const dashboard = obj(JSON.parse(dashboardText), 'dashboard');
    for (const panel of arr(dashboard.panels, 'panels')
      .map((p) => obj(p, 'panel'))
      .filter((p) => p.type !== 'row')) {
      for (const target of arr(panel.targets, 'targets').map((t) => obj(t, 'target'))) {
        const expr = String(target.expr);
        const grouping =
          /^\s*\w+\s+by\s*\(([^)]*)\)/.exec(expr) ?? /^\s*histogram_quantile\([^,]+,\s*sum by \(([^)]*)\)/.exec(expr);
        const available =
          grouping === null
            ? new Set([
                ...TARGET_LABELS,
                ...[...expr.matchAll(/\bbookeo_connect_[a-z0-9_]+\b/g)].flatMap((m) => catalog.get(m[0])?.labels ?? []),
              ])
            : new Set((grouping[1] as string).split(',').map((l) => l.trim()));
        for (const match of String(target.legendFormat ?? '').matchAll(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g)) {
          assert.ok(
            available.has(match[1] as string),
            `${String(panel.title)}: legend {{${match[1] as string}}} is not a label of ${expr}`,
          );
        }
      }
    }
  });

  it('shows every source and sink metric (freshness, API calls, 429s, retries, records, transactions, batches, writes, lag, DLQ)', async () => {
    const registry = createMetricsRegistry();
    const defaults = new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
    createSourceMetrics(registry);
    createSinkMetrics(registry);
    const connector = (await registry.getMetricsAsJSON()).map((m) => m.name).filter((name) => !defaults.has(name));
    assert.ok(connector.length >= 15);
    const text = queries().join('\n');
    for (const name of connector)
      assert.match(text, new RegExp(`\\b${name}(_bucket|_sum|_count)?\\b`), `${name} is on the dashboard`);
  });
});
