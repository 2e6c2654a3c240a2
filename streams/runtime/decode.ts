/**
 * Decode: how a fetched record becomes what a task is handed. Each input is read with the
 * processor's projected reader schema and checked against the contract's rules on the fields
 * read; a record that cannot be decoded or breaks the rules is handed to the bad-record path
 * with the reason instead of the task. Synchronous for a known writer schema: a promise per
 * record was measurable at 100k+ records/s, and the registry is asked once per schema id.
 */
import type { KafkaMessage } from 'kafkajs';
import type { Type } from 'avsc';
import { ShelfStreamError, describeError, type ErrorCode } from '../../lib/errors';
import { EventCodec } from '../../lib/events/codec';
import { contractCheck, type ContractCheck } from '../../schemas/contract';
import type { TopicName } from '../../schemas/generated/events';
import { projectedType } from '../../schemas/projection';
import type { InputRecord, ProcessorDefinition, RawRecord, RawTombstone } from './processor';

/** What the runtime needs of the Avro codec (EventCodec; the test driver's offline one too). */
export type RecordCodec = Pick<EventCodec, 'readKnown' | 'learnSchemaOf' | 'writerType' | 'encode'>;

/** Stands for a null value (a tombstone) among decoded values. */
export const TOMBSTONE = Symbol('tombstone');
/** A record whose writer schema has not been fetched from the registry yet. */
export const SCHEMA_UNKNOWN = Symbol('schema unknown');
/** The value handed to a task that reads the bytes itself. */
export const NOT_DECODED = Object.freeze({});

/** How the records of one input are read: with which reader schema, against which rules. */
export interface InputDecoding {
  readonly topic: string;
  /** A projected reader schema, or undefined to read every field as written. */
  readonly reader: Type | undefined;
  /** The contract's rules on the fields read; undefined for raw processors (no check). */
  readonly check: ContractCheck | undefined;
  /** The task reads the bytes itself (ProcessorDefinition.readsBytes): decode nothing. */
  readonly bytes: boolean;
}

/** Resolved once per processor: the reader schema and compiled rules of each input. */
export function inputDecodings(definition: ProcessorDefinition): Map<string, InputDecoding> {
  const decodings = new Map<string, InputDecoding>();
  for (const topic of definition.inputs) {
    const contract = definition.contracts?.[topic] ?? topic;
    const selection = definition.reads?.[contract as TopicName];
    decodings.set(topic, {
      topic,
      reader: selection ? projectedType(contract, selection) : undefined,
      check: definition.raw ? undefined : contractCheck(contract, selection),
      bytes: definition.raw === true && definition.readsBytes === true,
    });
  }
  return decodings;
}

/** Where a record that is not handed to its task goes (the bad-record policy decides what then). */
export type RejectRecord = (topic: string, partition: number, message: KafkaMessage, code: ErrorCode, reason: string) => void;

export class RecordDecoder {
  constructor(
    private readonly codec: RecordCodec,
    private readonly reject: RejectRecord,
  ) {}

  /**
   * The decoded value of a message, undefined once it was rejected, or SCHEMA_UNKNOWN when its
   * writer schema must be fetched first (`decodeAfterFetch`). A registry that does not answer
   * is thrown (retriable): the batch is retried, nothing is rejected for it.
   */
  decode(input: InputDecoding, partition: number, message: KafkaMessage, nowMs: number): unknown {
    let value: unknown;
    try {
      if (input.bytes) return this.codec.writerType(EventCodec.schemaIdIn(message.value)) ? NOT_DECODED : SCHEMA_UNKNOWN;
      value = this.codec.readKnown(message.value!, input.reader);
      if (value === undefined) return SCHEMA_UNKNOWN;
    } catch (error) {
      if (error instanceof ShelfStreamError && error.canRetry) throw error;
      this.reject(input.topic, partition, message, error instanceof ShelfStreamError ? error.code : 'DECODE_FAILED', describeError(error));
      return undefined;
    }
    if (input.check) {
      const issues = input.check(value, nowMs);
      if (issues.length > 0) {
        this.reject(input.topic, partition, message, 'CONTRACT_VIOLATION', issues.map((i) => `${i.path}: ${i.reason}`).join('; '));
        return undefined;
      }
    }
    return value;
  }

  /** `decode` for a record whose writer schema is not known yet: fetched first. */
  async decodeAfterFetch(input: InputDecoding, partition: number, message: KafkaMessage, nowMs: number): Promise<unknown> {
    try {
      await this.codec.learnSchemaOf(message.value);
    } catch (error) {
      if (error instanceof ShelfStreamError && error.canRetry) throw error;
      this.reject(input.topic, partition, message, error instanceof ShelfStreamError ? error.code : 'DECODE_FAILED', describeError(error));
      return undefined;
    }
    const value = this.decode(input, partition, message, nowMs);
    if (value !== SCHEMA_UNKNOWN) return value;
    this.reject(input.topic, partition, message, 'DECODE_FAILED', `schema id ${EventCodec.schemaIdIn(message.value)} is still unknown after fetching it`);
    return undefined;
  }
}

/**
 * The record handed to a task. Its key and timestamp are converted from the Kafka message when
 * read, not per record: velocity reads neither, and the key's toString was a string per record.
 */
export class MessageRecord implements InputRecord {
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly offset: number,
    readonly value: unknown,
    readonly raw: RawRecord | RawTombstone | undefined,
    private readonly message: KafkaMessage,
  ) {}

  get key(): string | null {
    return this.message.key?.toString() ?? null;
  }

  get timestamp(): number {
    return Number(this.message.timestamp);
  }
}

const NO_HEADERS: RawRecord['headers'] = Object.freeze([]);

/** A tombstone's key and headers as published (RawTombstone). */
export function rawTombstoneOf(message: KafkaMessage): RawTombstone {
  return { key: message.key, value: null, headers: headersOf(message) };
}

/** A decoded record's bytes as published; its writer schema is known (the decode fetched it). */
export function rawOf(message: KafkaMessage, codec: RecordCodec): RawRecord {
  const schemaId = EventCodec.schemaIdIn(message.value);
  return { key: message.key, value: message.value!, schemaId, writer: codec.writerType(schemaId)!, headers: headersOf(message) };
}

function headersOf(message: KafkaMessage): RawRecord['headers'] {
  let headers = NO_HEADERS;
  if (message.headers) {
    const list: { key: string; value: Buffer | null }[] = [];
    for (const [key, v] of Object.entries(message.headers)) {
      for (const one of Array.isArray(v) ? v : [v]) list.push({ key, value: one === undefined ? null : Buffer.isBuffer(one) ? one : Buffer.from(String(one)) });
    }
    if (list.length > 0) headers = list;
  }
  return headers;
}
