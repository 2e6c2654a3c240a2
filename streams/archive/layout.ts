/**
 * Where archived events live in the bucket, Hive-style so DuckDB, ClickHouse `s3()`, Spark and
 * Athena read the folders as columns:
 *
 *   raw/topic=<topic>/dt=<YYYY-MM-DD>/hour=<HH>/part-p<partition>-<first offset>-<last offset>.parquet
 *   raw/topic=<topic>/dt=<YYYY-MM-DD>/hour=<HH>/_manifest/partition=<partition>.json
 *
 * dt and hour are the event's own time (occurred_at, or updated_at for master data) in UTC,
 * not the arrival time, so "replay Tuesday" means Tuesday's sales.
 *
 * An object's name is a function of its topic, partition and the offsets of its records only.
 * The rule that makes archiving exactly-once: a record is archived when an object of its hour
 * folder and partition has an offset range covering its offset. Objects of one partition-hour
 * have disjoint ranges, so a writer that lists the partition-hour before writing knows exactly
 * which records are there already, however the rolls were cut before a crash. Offsets are
 * zero-padded so names sort by offset.
 */
import { ShelfStreamError } from '../../lib/errors';

export const ARCHIVE_ROOT = 'raw';
const OFFSET_DIGITS = 20; // 2^63 has 19 digits

export function padOffset(offset: number): string {
  return String(offset).padStart(OFFSET_DIGITS, '0');
}

export interface HourPartition {
  /** UTC date, YYYY-MM-DD. */
  readonly dt: string;
  /** UTC hour, 00-23. */
  readonly hour: string;
}

export function hourPartitionOf(timeMs: number): HourPartition {
  const iso = new Date(timeMs).toISOString();
  return { dt: iso.slice(0, 10), hour: iso.slice(11, 13) };
}

/** Start of the UTC hour a partition folder stands for. */
export function hourStartOf(p: HourPartition): number {
  return Date.parse(`${p.dt}T${p.hour}:00:00.000Z`);
}

export function hourPrefix(topic: string, p: HourPartition): string {
  return `${ARCHIVE_ROOT}/topic=${topic}/dt=${p.dt}/hour=${p.hour}/`;
}

export function topicPrefix(topic: string): string {
  return `${ARCHIVE_ROOT}/topic=${topic}/`;
}

/** Lists a partition-hour's data objects: every name under it starts with this. */
export function partitionHourPrefix(topic: string, p: HourPartition, partition: number): string {
  return `${hourPrefix(topic, p)}part-p${String(partition).padStart(3, '0')}-`;
}

export function dataObjectName(topic: string, p: HourPartition, partition: number, first: number, last: number): string {
  return `${partitionHourPrefix(topic, p, partition)}${padOffset(first)}-${padOffset(last)}.parquet`;
}

export function manifestName(topic: string, p: HourPartition, partition: number): string {
  return `${hourPrefix(topic, p)}_manifest/partition=${partition}.json`;
}

export interface DataObject {
  readonly topic: string;
  readonly hour: HourPartition;
  readonly partition: number;
  readonly first: number;
  readonly last: number;
}

const DATA_OBJECT = /^raw\/topic=([^/]+)\/dt=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\/part-p(\d+)-(\d{20})-(\d{20})\.parquet$/;

/** Parses a data object's name; undefined for anything else in the bucket (manifests, markers). */
export function parseDataObjectName(name: string): DataObject | undefined {
  const m = DATA_OBJECT.exec(name);
  if (!m) return undefined;
  return { topic: m[1]!, hour: { dt: m[2]!, hour: m[3]! }, partition: Number(m[4]), first: Number(m[5]), last: Number(m[6]) };
}

/** The UTC hours from `fromMs` (inclusive) to `toMs` (exclusive), for listing a time range. */
export function hoursBetween(fromMs: number, toMs: number): HourPartition[] {
  if (!(toMs > fromMs)) throw new ShelfStreamError('INVALID_ARGUMENT', `time range is empty: ${new Date(fromMs).toISOString()} is not before ${new Date(toMs).toISOString()}`);
  const hours: HourPartition[] = [];
  for (let t = Math.floor(fromMs / 3_600_000) * 3_600_000; t < toMs; t += 3_600_000) hours.push(hourPartitionOf(t));
  return hours;
}
