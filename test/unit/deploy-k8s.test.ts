/**
 * deploy/k8s checked offline against the code, like compose; `kubectl kustomize` renders the same
 * objects when the client is installed, else skipped.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { Command } from 'commander';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { applyEnvOverrides, validateConfig } from '../../common/config/load.js';
import {
  deploy,
  k8sDir,
  PREFIX,
  isObject,
  obj,
  arr,
  yamlDocuments,
  effectiveConfig,
  assertEnvKeysExist,
  parseCli,
  assertRunnable,
  LONG_RUNNING,
  type Json,
  type JsonObject,
} from '../helpers/deploy-files.js';
import { buildProgram } from '../../cli/program.js';

let cli: Command;
before(async () => {
  cli = buildProgram();
});

describe('kubernetes', () => {
  const kustomization = obj(yamlDocuments(join(k8sDir, 'kustomization.yaml'))[0], 'kustomization.yaml');

  /** The manifests as `kubectl apply -k` would send them, assembled from the kustomization (no hash suffixes). */
  function manifests(): JsonObject[] {
    const docs = arr(kustomization.resources, 'resources').flatMap((file) =>
      yamlDocuments(join(k8sDir, String(file))).map((doc) => obj(doc, String(file))),
    );
    for (const generator of arr(kustomization.configMapGenerator ?? [], 'configMapGenerator').map((g) =>
      obj(g, 'generator'),
    )) {
      const data: JsonObject = {};
      for (const file of arr(generator.files, 'files'))
        data[basename(String(file))] = readFileSync(join(k8sDir, String(file)), 'utf8');
      docs.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: String(generator.name) }, data });
    }
    return docs;
  }

  const docs = manifests();
  const secret = obj(yamlDocuments(join(k8sDir, 'secret.example.yaml'))[0], 'secret.example.yaml');
  const secretData = obj(secret.stringData, 'stringData');
  const deployments = docs.filter((doc) => doc.kind === 'Deployment' || doc.kind === 'StatefulSet');
  const services = docs.filter((doc) => doc.kind === 'Service');

  it('has the source, a ClickHouse sink, their Services and the configuration; the Secret stays out of the kustomization', () => {
    assert.deepEqual(deployments.map((d) => obj(d.metadata, 'metadata').name).sort(), [
      'bookeo-connect-sink-clickhouse',
      'bookeo-connect-source',
    ]);
    assert.equal(services.length, 2);
    assert.ok(!docs.some((doc) => doc.kind === 'Secret'), 'placeholders are never applied by kubectl apply -k');
    assert.ok(!docs.some((doc) => isObject(doc.metadata) && 'namespace' in doc.metadata), 'namespace-less');
  });

  for (const deployment of deployments) {
    const name = String(obj(deployment.metadata, 'metadata').name);
    it(`${name}: command, configuration (ConfigMap + Secret placeholders), ports, probes and limits agree with the code`, async () => {
      const spec = obj(deployment.spec, `${name}.spec`);
      const template = obj(spec.template, 'template');
      const pod = obj(template.spec, 'pod spec');
      const annotations = obj(obj(template.metadata, 'template.metadata').annotations, 'annotations');
      const containers = arr(pod.containers, 'containers').map((c) => obj(c, 'container'));
      assert.equal(containers.length, 1);
      const container = containers[0] as JsonObject;
      assert.equal(container.image, 'bookeo-connect', 'the image name kustomization.yaml `images:` rewrites');
      assert.ok(arr(kustomization.images, 'images').some((image) => obj(image, 'image').name === 'bookeo-connect'));

      const parsed = await parseCli(cli, arr(container.args, 'args').map(String));
      assert.ok(LONG_RUNNING.has(parsed.path.join(' ')), `${name} runs a long-running command`);
      const configPath = String(parsed.options.config);
      const mount = arr(container.volumeMounts, 'volumeMounts')
        .map((m) => obj(m, 'mount'))
        .find((m) => configPath.startsWith(`${String(m.mountPath)}/`));
      assert.ok(mount !== undefined, `${configPath} is mounted`);
      const volume = arr(pod.volumes, 'volumes')
        .map((v) => obj(v, 'volume'))
        .find((v) => v.name === mount.name);
      const configMapName = String(obj(volume?.configMap, 'configMap volume').name);
      const configMap = docs.find(
        (doc) => doc.kind === 'ConfigMap' && obj(doc.metadata, 'metadata').name === configMapName,
      );
      assert.ok(configMap !== undefined, `ConfigMap ${configMapName} exists`);
      const configText = String(obj(configMap.data, 'data')[configPath.slice(String(mount.mountPath).length + 1)]);

      const env: Record<string, string> = {};
      for (const entry of arr(container.env ?? [], 'env').map((e) => obj(e, 'env'))) {
        const key = String(entry.name);
        if (entry.value !== undefined) env[key] = String(entry.value);
        else {
          const ref = obj(obj(entry.valueFrom, `${key}.valueFrom`).secretKeyRef, `${key}.secretKeyRef`);
          assert.equal(
            ref.name,
            obj(secret.metadata, 'metadata').name,
            `${key} reads the Secret of secret.example.yaml`,
          );
          const value = secretData[String(ref.key)];
          if (value === undefined)
            assert.equal(ref.optional, true, `${key}: key ${String(ref.key)} is in secret.example.yaml`);
          else env[key] = String(value);
        }
      }
      // Files of the mounted Secret volumes: path → the placeholder of secret.example.yaml.
      const files = new Map<string, string>();
      for (const mounted of arr(container.volumeMounts, 'volumeMounts').map((m) => obj(m, 'mount'))) {
        const volume = arr(pod.volumes, 'volumes')
          .map((v) => obj(v, 'volume'))
          .find((v) => v.name === mounted.name);
        if (volume?.secret === undefined) continue;
        const source = obj(volume.secret, `${String(volume.name)}.secret`);
        assert.equal(source.secretName, obj(secret.metadata, 'metadata').name, 'the Secret of secret.example.yaml');
        for (const item of arr(source.items, 'items').map((i) => obj(i, 'item'))) {
          const value = secretData[String(item.key)];
          assert.ok(value !== undefined, `${name}: key ${String(item.key)} is in secret.example.yaml`);
          files.set(`${String(mounted.mountPath)}/${String(item.path)}`, String(value));
        }
      }
      const readFile = (path: string): string =>
        files.get(path) ?? assert.fail(`${name}: ${path} is no file of a mounted Secret`);
      const ours = Object.fromEntries(Object.entries(env).filter(([key]) => key.startsWith(PREFIX)));
      const config = effectiveConfig(configText, ours, name, readFile);
      assertEnvKeysExist(ours, config, name, readFile);
      assertRunnable(parsed, config, name);
      assert.ok(
        Object.keys(ours).every((key) => !/(SECRET_KEY|ACCOUNTS|PASSWORD|TOKEN)$/.test(key)),
        `${name}: secrets come as files, none in the environment`,
      );
      // The REST API listens beyond loopback: without the bearer token the configuration is refused.
      assert.throws(
        () =>
          validateConfig(
            applyEnvOverrides(
              (parseYaml(configText) as Record<string, unknown> | null) ?? {},
              Object.fromEntries(
                Object.entries(ours).filter(([key]) => !key.startsWith(`${PREFIX}HTTP__BEARER_TOKEN`)),
              ),
              readFile,
            ),
          ),
        /http\.bearerToken/,
        `${name}: a bearer token is required`,
      );

      // One port: http.port, named "ops", used by every probe, the scrape annotation and the Service.
      assert.equal(config.http.host, '0.0.0.0', `${name}: http.host reachable by probes and Prometheus`);
      const ports = arr(container.ports, 'ports').map((p) => obj(p, 'port'));
      assert.deepEqual(
        ports.map((p) => Number(p.containerPort)),
        [config.http.port],
      );
      const portByName = new Map(ports.map((p) => [String(p.name), Number(p.containerPort)]));
      const resolvePort = (port: Json | undefined): number =>
        typeof port === 'number'
          ? port
          : (portByName.get(String(port)) ?? assert.fail(`no port named ${String(port)}`));
      for (const [probe, path] of [
        ['startupProbe', '/healthz'],
        ['livenessProbe', '/healthz'],
        ['readinessProbe', '/readyz'],
      ] as const) {
        const httpGet = obj(obj(container[probe], probe).httpGet, `${probe}.httpGet`);
        assert.equal(httpGet.path, path, `${name} ${probe} path`);
        assert.equal(resolvePort(httpGet.port), config.http.port, `${name} ${probe} port`);
      }
      assert.equal(annotations['prometheus.io/scrape'], 'true');
      assert.equal(Number(annotations['prometheus.io/port']), config.http.port);
      assert.equal(annotations['prometheus.io/path'], '/metrics');
      const labels = obj(obj(template.metadata, 'template.metadata').labels, 'labels');
      const service = services.find((s) =>
        Object.entries(obj(obj(s.spec, 'service spec').selector, 'selector')).every(
          ([key, value]) => labels[key] === value,
        ),
      );
      assert.ok(service !== undefined, `a Service selects ${name}`);
      for (const port of arr(obj(service.spec, 'service spec').ports, 'service ports').map((p) =>
        obj(p, 'service port'),
      )) {
        assert.equal(resolvePort(port.targetPort ?? port.port), config.http.port, `${name} Service targetPort`);
      }

      // Security: non-root (the Dockerfile's uid), read-only root filesystem, no privilege escalation.
      const podSecurity = obj(pod.securityContext, 'pod securityContext');
      const containerSecurity = obj(container.securityContext, 'container securityContext');
      const dockerUser = /^USER (\d+)/m.exec(readFileSync(join(deploy, 'docker', 'Dockerfile'), 'utf8'));
      assert.equal(podSecurity.runAsNonRoot, true);
      assert.equal(podSecurity.runAsUser, Number(dockerUser?.[1]));
      assert.equal(containerSecurity.readOnlyRootFilesystem, true);
      assert.equal(containerSecurity.allowPrivilegeEscalation, false);
      assert.equal(pod.automountServiceAccountToken, false);

      // Memory: 1Gi limits (measured peaks ≈ 400 MB source, ≈ 850 MB sink), V8's heap below them.
      const resources = obj(container.resources, 'resources');
      assert.equal(obj(resources.limits, 'limits').memory, '1Gi');
      assert.ok(obj(resources.requests, 'requests').memory !== undefined);
      const heap = /--max-old-space-size=(\d+)/.exec(env.NODE_OPTIONS ?? '');
      assert.ok(heap !== null && Number(heap[1]) < 1024, `${name}: --max-old-space-size under the 1Gi limit`);

      if (parsed.path[0] === 'source') {
        assert.equal(spec.replicas, 1, 'one source: its transactional ids fence a second instance');
        assert.equal(obj(spec.strategy, 'strategy').type, 'Recreate');
      } else {
        assert.ok(
          Number(spec.replicas) >= 1 && Number(spec.replicas) <= config.kafka.partitions,
          'sink replicas <= kafka.partitions',
        );
        assert.ok(
          Number(pod.terminationGracePeriodSeconds) * 1000 > config.sink.shutdownTimeoutMs,
          'the grace period outlasts sink.shutdownTimeoutMs',
        );
      }
    });
  }

  it('servicemonitor.yaml scrapes the Services’ ops port on /metrics', () => {
    const monitor = obj(yamlDocuments(join(k8sDir, 'servicemonitor.yaml'))[0], 'servicemonitor.yaml');
    const endpoints = arr(obj(monitor.spec, 'spec').endpoints, 'endpoints').map((e) => obj(e, 'endpoint'));
    const selector = obj(obj(obj(monitor.spec, 'spec').selector, 'selector').matchLabels, 'matchLabels');
    for (const service of services) {
      const labels = obj(obj(service.metadata, 'metadata').labels, 'labels');
      assert.ok(
        Object.entries(selector).every(([key, value]) => labels[key] === value),
        'the ServiceMonitor selects every Service',
      );
      const portNames = arr(obj(service.spec, 'spec').ports, 'ports').map((p) => obj(p, 'port').name);
      for (const endpoint of endpoints)
        assert.ok(portNames.includes(endpoint.port as string), `port ${String(endpoint.port)}`);
    }
    assert.ok(endpoints.every((endpoint) => endpoint.path === '/metrics'));
  });

  it('kubectl kustomize renders the same objects', (t) => {
    const probe = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      t.skip('no kubectl here: deploy/k8s assembled from kustomization.yaml by this test only');
      return;
    }
    const rendered = spawnSync('kubectl', ['kustomize', k8sDir], { encoding: 'utf8' });
    assert.equal(rendered.status, 0, rendered.stderr);
    const objects = parseAllDocuments(rendered.stdout).map((doc) => obj(doc.toJS(), 'rendered'));
    // configMapGenerator appends a content hash to the ConfigMap's name (and to its references).
    const key = (doc: JsonObject): string => {
      const name = String(obj(doc.metadata, 'metadata').name);
      return `${String(doc.kind)}/${doc.kind === 'ConfigMap' ? name.replace(/-[a-z0-9]{10}$/, '') : name}`;
    };
    assert.deepEqual(objects.map(key).sort(), docs.map(key).sort());
    for (const doc of objects.filter((o) => o.kind === 'Deployment')) {
      const container = obj(
        arr(obj(obj(obj(doc.spec, 'spec').template, 'template').spec, 'pod').containers, 'containers')[0],
        'container',
      );
      assert.match(String(container.image), /\/bookeo-connect:[\w.-]+$/, 'images: rewrote the image');
    }
  });
});
