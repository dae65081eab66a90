/** Removes what a source test created under a prefix: its topics and its registry subjects. */
import type { Kafka } from 'kafkajs';
import { stackEndpoints } from '../../deploy/stack/endpoints.js';

export async function cleanupPrefix(kafka: Kafka, prefix: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((name) => name.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
  const base = stackEndpoints().registryUrl;
  const subjects = (await (await fetch(`${base}/subjects`)).json()) as string[];
  for (const subject of subjects.filter((name) => name.startsWith(prefix))) {
    await fetch(`${base}/subjects/${encodeURIComponent(subject)}`, { method: 'DELETE' });
    await fetch(`${base}/subjects/${encodeURIComponent(subject)}?permanent=true`, { method: 'DELETE' });
  }
}
