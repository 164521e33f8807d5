// Topic names and creation: `<prefix>ticks`, `<prefix>signals.<signal>`,
// `<prefix>status`, `<prefix>metrics`, `<prefix>raw.<venue>`.
import type { Admin } from 'kafkajs';
import { allSchemas } from './schemas';
// Registers the signal schemas: startupTopics() must see them wherever a sink or a reader starts.
import './signal-schemas';

export const DEFAULT_PREFIX = 'md.';

export const topicNames = {
  ticks: (prefix = DEFAULT_PREFIX): string => `${prefix}ticks`,
  status: (prefix = DEFAULT_PREFIX): string => `${prefix}status`,
  metrics: (prefix = DEFAULT_PREFIX): string => `${prefix}metrics`,
  signal: (signal: string, prefix = DEFAULT_PREFIX): string => `${prefix}signals.${signal}`,
  raw: (venue: string, prefix = DEFAULT_PREFIX): string => `${prefix}raw.${venue}`,
};

/** Topics known up front: ticks (when enabled), status, metrics and one per registered signal schema. */
export function startupTopics(prefix: string, ticks: boolean): string[] {
  const out = new Set<string>();
  if (ticks) out.add(topicNames.ticks(prefix));
  out.add(topicNames.status(prefix));
  out.add(topicNames.metrics(prefix));
  for (const s of allSchemas())
    if (s.kind === 'signal' && s.signal !== undefined) out.add(topicNames.signal(s.signal, prefix));
  return [...out];
}

export interface TopicSettings {
  partitions: number;
  replicationFactor: number;
}

/** Creates the topics that do not exist yet; returns the ones created. */
export async function ensureTopics(admin: Admin, topics: string[], settings: TopicSettings): Promise<string[]> {
  if (topics.length === 0) return [];
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t));
  if (missing.length === 0) return [];
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({
        topic,
        numPartitions: settings.partitions,
        replicationFactor: settings.replicationFactor,
      })),
    });
  } catch (e) {
    // Someone else created them between list and create: fine.
    if (!/already exists/i.test(errorText(e))) throw e;
  }
  return missing;
}

/** Message and causes of an error (kafkajs nests them), for logs and classification. */
export function errorText(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let depth = 0; depth < 5 && cur !== undefined && cur !== null; depth++) {
    if (cur instanceof Error) {
      const type = (cur as Error & { type?: unknown }).type;
      parts.push(typeof type === 'string' ? `${cur.message} [${type}]` : cur.message);
      cur = (cur as Error & { cause?: unknown }).cause;
    } else {
      parts.push(String(cur));
      break;
    }
  }
  return [...new Set(parts)].join(': ');
}
