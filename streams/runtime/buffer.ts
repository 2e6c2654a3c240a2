/**
 * Buffer: what tasks produced since the last flush (rows per table, events per topic,
 * deliveries, dead letters), held in memory until the flush takes it whole. `take` empties it
 * synchronously, so the offsets committed after a flush match exactly what it wrote.
 */
import type { KafkaMessage, Message } from 'kafkajs';
import type { TopicName } from '../../schemas/generated/events';
import type { RecordCodec } from './decode';
import type { Row, RowSink } from './processor';
import type { StandIns } from './topics';

/** A side effect a task asked for (RowSink.deliver), run with the flush before its commit. */
export interface Delivery {
  readonly output: string;
  readonly send: () => Promise<void>;
}

/** What one flush writes. */
export interface BufferedOutput {
  readonly rows: Map<string, Row[]>;
  readonly events: Map<string, Message[]>;
  readonly deliveries: Delivery[];
  readonly deadLetters: Message[];
  /** occurred_at of every record processed (the event-to-visible histogram). */
  readonly eventTimes: number[];
}

export function deadLetterHeaders(source: { topic: string; partition: number; offset: number }, processor: string, code: string, reason: string): Record<string, string> {
  return {
    'x-shelfstream-error-code': code,
    'x-shelfstream-reason': reason.slice(0, 2_000),
    'x-shelfstream-processor': processor,
    'x-shelfstream-source-topic': source.topic,
    'x-shelfstream-source-partition': String(source.partition),
    'x-shelfstream-source-offset': String(source.offset),
  };
}

export class OutputBuffer implements RowSink {
  private rows = new Map<string, Row[]>();
  private events = new Map<string, Message[]>();
  private deliveries: Delivery[] = [];
  private deadLetters: Message[] = [];
  private eventTimes: number[] = [];
  /** Rows, events and deliveries buffered: what the flush threshold counts. */
  size = 0;

  constructor(
    private readonly processor: string,
    private readonly codec: RecordCodec,
    /** Catalogue topic -> stand-in its events go to (encoded with the catalogue topic's schema). */
    private readonly outputTopics: StandIns = {},
  ) {}

  emit(table: string, row: Row): void {
    let rows = this.rows.get(table);
    if (!rows) this.rows.set(table, (rows = []));
    rows.push(row);
    this.size++;
  }

  publish(topic: TopicName, key: string, value: unknown): void {
    // Encoded now, so a value that breaks its schema fails in the processor that made it.
    const message: Message = { key, value: this.codec.encode(topic, value) };
    const destination = this.outputTopics[topic] ?? topic;
    let messages = this.events.get(destination);
    if (!messages) this.events.set(destination, (messages = []));
    messages.push(message);
    this.size++;
  }

  deliver(output: string, send: () => Promise<void>): void {
    this.deliveries.push({ output, send });
    this.size++;
  }

  /** The record as read, with headers saying where it came from and why it was set aside. */
  deadLetter(source: { topic: string; partition: number; offset: number }, message: KafkaMessage, code: string, reason: string): void {
    this.deadLetters.push({ key: message.key, value: message.value, headers: { ...message.headers, ...deadLetterHeaders(source, this.processor, code, reason) } });
  }

  processedAt(occurredAt: number): void {
    this.eventTimes.push(occurredAt);
  }

  get holdsDeadLetters(): boolean {
    return this.deadLetters.length > 0;
  }

  get isEmpty(): boolean {
    return this.size === 0 && this.deadLetters.length === 0;
  }

  take(): BufferedOutput {
    const taken: BufferedOutput = { rows: this.rows, events: this.events, deliveries: this.deliveries, deadLetters: this.deadLetters, eventTimes: this.eventTimes };
    this.rows = new Map();
    this.events = new Map();
    this.deliveries = [];
    this.deadLetters = [];
    this.eventTimes = [];
    this.size = 0;
    return taken;
  }
}
