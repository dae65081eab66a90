/** Pure pieces of the local stack: JDK version parsing and the generated configurations. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stackEndpoints } from '../../deploy/stack/endpoints.js';
import { parseJavaMajor } from '../../deploy/stack/java.js';
import { kafkaServerProperties } from '../../deploy/stack/kafka.js';
import { dependenciesPom } from '../../deploy/stack/maven.js';
import { registryLaunchArguments } from '../../deploy/stack/registry.js';

describe('parseJavaMajor', () => {
  it('reads the major version of modern and legacy version strings', () => {
    assert.equal(
      parseJavaMajor('openjdk version "25.0.2" 2026-01-20 LTS\nOpenJDK Runtime Environment Temurin-25.0.2+10'),
      25,
    );
    assert.equal(parseJavaMajor('openjdk version "17.0.15" 2025-04-15'), 17);
    assert.equal(parseJavaMajor('openjdk version "21" 2023-09-19'), 21);
    assert.equal(parseJavaMajor('java version "1.8.0_292"'), 8);
    assert.equal(parseJavaMajor('no java here'), undefined);
  });
});

describe('generated configuration', () => {
  const endpoints = stackEndpoints({
    BOOKEO_STACK_KAFKA_PORT: '19092',
    BOOKEO_STACK_KAFKA_CONTROLLER_PORT: '19093',
    BOOKEO_STACK_REGISTRY_PORT: '18081',
    BOOKEO_STACK_REGISTRY_MANAGEMENT_PORT: '19001',
    BOOKEO_STACK_CACHE: '/c',
  });

  it('kafka: a single KRaft voter on the configured ports, transactions with replication factor 1, the secured listeners', () => {
    const lines = new Set(kafkaServerProperties(endpoints, '/data/kafka').trim().split('\n'));
    for (const expected of [
      'controller.quorum.voters=1@127.0.0.1:19093',
      'listeners=PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093,SSL://127.0.0.1:9094,MTLS://127.0.0.1:9095,SCRAM://127.0.0.1:9096,OAUTH://127.0.0.1:9097',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,MTLS:SSL,SCRAM:SASL_SSL,OAUTH:SASL_PLAINTEXT',
      'ssl.keystore.location=/c/stack/tls/broker.pem',
      'ssl.truststore.location=/c/stack/tls/ca.crt',
      'listener.name.mtls.ssl.client.auth=required',
      'listener.name.scram.sasl.enabled.mechanisms=SCRAM-SHA-512',
      'listener.name.oauth.sasl.enabled.mechanisms=OAUTHBEARER',
      'log.dirs=/data/kafka',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      'offsets.topic.num.partitions=1',
    ]) {
      assert.ok(lines.has(expected), expected);
    }
  });

  it('registry: kafkasql storage on the stack broker, ports off the Quarkus defaults, deletions enabled', () => {
    const { args, env } = registryLaunchArguments(endpoints, '/tmp/registry/');
    assert.deepEqual(env, {
      APICURIO_STORAGE_KIND: 'kafkasql',
      APICURIO_KAFKASQL_BOOTSTRAP_SERVERS: '127.0.0.1:19092',
    });
    for (const expected of [
      '-Dquarkus.http.host=127.0.0.1',
      '-Dquarkus.http.port=18081',
      '-Dquarkus.management.port=19001',
      '-Dapicurio.rest.deletion.artifact.enabled=true',
    ]) {
      assert.ok(args.includes(expected), expected);
    }
  });

  it('maven: one dependency element per artifact', () => {
    const pom = dependenciesPom([
      { groupId: 'g', artifactId: 'a', version: '1' },
      { groupId: 'h', artifactId: 'b', version: '2' },
    ]);
    assert.equal(pom.match(/<dependency>/g)?.length, 2);
    assert.match(pom, /<groupId>h<\/groupId><artifactId>b<\/artifactId><version>2<\/version>/);
  });
});
