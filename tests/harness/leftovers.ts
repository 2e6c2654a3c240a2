/**
 * The suite's guard against leaving data where a user's `make demo` reads it: the catalogue's
 * topics on the broker and the default embedded ClickHouse folder. The global setup takes a
 * snapshot (end offsets of every catalogue topic, and a fingerprint of the folder), the global
 * teardown compares. Tests run on stand-in topics and folders of their own, so nothing of the
 * catalogue should move while they run.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Admin } from 'kafkajs';
import { endOffsetsOnceLed } from '../../services/bootstrap/topics';

export interface LeftoverSnapshot {
  /** "topic:partition" -> end offset. */
  readonly offsets: ReadonlyMap<string, string>;
  /** Files and their size and mtime under the default ClickHouse folder; empty when absent. */
  readonly folder: ReadonlyMap<string, string>;
}

function fingerprint(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!existsSync(dir)) return out;
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else {
        const s = statSync(path, { throwIfNoEntry: false });
        if (s) out.set(path, `${s.size}@${s.mtimeMs}`);
      }
    }
  };
  walk(dir);
  return out;
}

export async function snapshotLeftovers(admin: Admin, topics: readonly string[], clickhouseDir: string | undefined): Promise<LeftoverSnapshot> {
  const offsets = new Map<string, string>();
  const existing = new Set(await admin.listTopics());
  for (const topic of topics.filter((t) => existing.has(t))) {
    // The global setup asks right after creating the catalogue's topics on a fresh broker.
    for (const p of await endOffsetsOnceLed(admin, topic)) offsets.set(`${topic}:${p.partition}`, p.high);
  }
  return { offsets, folder: clickhouseDir ? fingerprint(clickhouseDir) : new Map() };
}

/** What moved between two snapshots, one line each; empty when nothing did. */
export function compareLeftovers(before: LeftoverSnapshot, after: LeftoverSnapshot): string[] {
  const problems: string[] = [];
  for (const [key, end] of after.offsets) {
    const start = before.offsets.get(key) ?? '0';
    if (end !== start) problems.push(`catalogue topic partition ${key} grew from offset ${start} to ${end}`);
  }
  const changedFiles = [...after.folder].filter(([path, print]) => before.folder.get(path) !== print).map(([path]) => path);
  const removedFiles = [...before.folder.keys()].filter((path) => !after.folder.has(path));
  if (changedFiles.length + removedFiles.length > 0) {
    problems.push(`the default ClickHouse folder was touched: ${[...changedFiles, ...removedFiles].slice(0, 5).join(', ')}${changedFiles.length + removedFiles.length > 5 ? ', ...' : ''}`);
  }
  return problems;
}
