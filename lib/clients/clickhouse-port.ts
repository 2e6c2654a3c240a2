/**
 * `@clickhouse/client` in a worker thread over the owner thread's connection to embedded
 * ClickHouse: chDB runs one engine per process, driven from the thread that loaded it, so a
 * worker cannot open it (tried: a second engine in a worker hangs the owner's queries). The
 * worker's client does what a client does (formats, parameters, settings, row encoding, result
 * parsing) on its own thread; the engine calls themselves cross to the owner as messages, where
 * the owner's connection runs them on its session, as it would for a client of its own.
 *
 * What crosses: the statement and its settings, an insert's encoded body (one string, as the
 * chDB connection reads it anyway), and a result's bytes (transferred, not copied). An error
 * crosses as its message, code and type, and is rebuilt as the ClickHouseError it was (the sink
 * judges an insert's failure by its message). Abort signals do not cross: a chDB call cannot be
 * cancelled once running either; a query's own max_execution_time bounds it.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { MessagePort } from 'node:worker_threads';
import { ClickHouseError, type createClient } from '@clickhouse/client';

/** The connection a `createClient({ connection })` takes (the chDB connection is one). */
export type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;
type Connection<_S> = ClientConnection;

type Operation = 'query' | 'exec' | 'command' | 'insert' | 'ping';

interface Call {
  readonly id: number;
  readonly op: Operation;
  readonly params: WireParams;
}

/** Connection parameters without what cannot cross a thread (streams, abort signals). */
interface WireParams {
  readonly query?: string;
  readonly clickhouse_settings?: Record<string, unknown>;
  readonly query_params?: Record<string, unknown>;
  readonly session_id?: string;
  readonly query_id?: string;
  readonly values?: string;
  readonly select?: boolean;
}

interface WireError {
  readonly message: string;
  readonly code?: string;
  readonly type?: string;
}

type Reply =
  | { readonly id: number; readonly ok: true; readonly bytes?: Uint8Array; readonly result: Record<string, unknown> }
  | { readonly id: number; readonly ok: false; readonly error: WireError };

async function readAll(values: unknown): Promise<string> {
  if (typeof values === 'string') return values;
  if (values instanceof Uint8Array) return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('utf8');
  let body = '';
  for await (const chunk of values as AsyncIterable<string | Uint8Array>) body += typeof chunk === 'string' ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8');
  return body;
}

async function readBytes(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

function toWireError(error: unknown): WireError {
  // By shape, not class: the chDB connection throws the ClickHouseError of its own copy of the client.
  const { code, type } = (error ?? {}) as { code?: unknown; type?: unknown };
  return {
    message: error instanceof Error ? error.message : String(error),
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof type === 'string' ? { type } : {}),
  };
}

function fromWireError(error: WireError): Error {
  if (error.type !== undefined) return new ClickHouseError({ message: error.message, code: error.code ?? '0', type: error.type });
  return Object.assign(new Error(error.message), error.code === undefined ? {} : { code: error.code });
}

/**
 * The owner's side: runs the calls that arrive on `port` on `connection` (the owner's own, so the
 * worker's statements share its session as a client of the owner would). Answers until the port
 * closes.
 */
export function serveConnectionOnPort(port: MessagePort, connection: Connection<Readable>): void {
  port.on('message', (call: Call) => {
    void (async (): Promise<Reply> => {
      const { values, select, ...base } = call.params;
      const params = { ...base, query: base.query ?? '' } as Parameters<Connection<Readable>['query']>[0];
      switch (call.op) {
        case 'ping': {
          const result = await connection.ping({ select: select ?? true });
          return result.success ? { id: call.id, ok: true, result: { success: true } } : { id: call.id, ok: false, error: toWireError(result.error) };
        }
        case 'command':
          return { id: call.id, ok: true, result: { ...(await connection.command(params)) } };
        case 'insert':
          return { id: call.id, ok: true, result: { ...(await connection.insert({ ...params, values: values ?? '' })) } };
        case 'query':
        case 'exec': {
          const { stream, ...rest } =
            call.op === 'query' ? await connection.query(params) : await connection.exec({ ...params, ...(values === undefined ? {} : { values: Readable.from([values]) }) });
          return { id: call.id, ok: true, bytes: await readBytes(stream), result: rest };
        }
      }
    })().then(
      (reply) => {
        const bytes = reply.ok ? reply.bytes : undefined;
        // A buffer that owns its memory moves to the worker; a view into a shared pool is copied.
        const movable = bytes !== undefined && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
        port.postMessage(reply, movable ? [bytes.buffer as ArrayBuffer] : []);
      },
      (error: unknown) => port.postMessage({ id: call.id, ok: false, error: toWireError(error) } satisfies Reply),
    );
  });
}

/**
 * The worker's side: a Connection for `createClient({ connection })` whose calls run on the
 * owner's connection. close() closes the port: the owner's connection stays the owner's.
 */
export function createPortConnection(port: MessagePort): Connection<Readable> {
  let nextId = 0;
  const waiting = new Map<number, { resolve(reply: Reply & { ok: true }): void; reject(error: Error): void }>();
  port.on('message', (reply: Reply) => {
    const waiter = waiting.get(reply.id);
    if (!waiter) return;
    waiting.delete(reply.id);
    if (reply.ok) waiter.resolve(reply);
    else waiter.reject(fromWireError(reply.error));
  });
  // Ends with the port: a call still waiting would wait forever.
  port.on('close', () => {
    for (const waiter of waiting.values()) waiter.reject(new Error('the owner thread closed the ClickHouse connection'));
    waiting.clear();
  });
  const call = (op: Operation, params: WireParams): Promise<Reply & { ok: true }> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      port.postMessage({ id, op, params } satisfies Call);
    });
  const wire = (params: { query?: string; clickhouse_settings?: object; query_params?: Record<string, unknown>; session_id?: string; query_id?: string }): WireParams => ({
    ...(params.query === undefined ? {} : { query: params.query }),
    ...(params.clickhouse_settings === undefined ? {} : { clickhouse_settings: { ...params.clickhouse_settings } }),
    ...(params.query_params === undefined ? {} : { query_params: params.query_params }),
    ...(params.session_id === undefined ? {} : { session_id: params.session_id }),
    // Made here, as the chDB connection does, so the caller knows it before the answer.
    query_id: params.query_id ?? randomUUID(),
  });
  const stream = (bytes: Uint8Array | undefined): Readable => Readable.from(bytes === undefined || bytes.byteLength === 0 ? [] : [Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]);
  return {
    async ping(params) {
      try {
        await call('ping', { select: params.select });
        return { success: true };
      } catch (error) {
        return { success: false, error: error as Error };
      }
    },
    async query(params) {
      const reply = await call('query', wire(params));
      return { ...(reply.result as object), stream: stream(reply.bytes) } as Awaited<ReturnType<Connection<Readable>['query']>>;
    },
    async exec(params) {
      const values = params.values === undefined ? undefined : await readAll(params.values);
      const reply = await call('exec', { ...wire(params), ...(values === undefined ? {} : { values }) });
      return { ...(reply.result as object), stream: stream(reply.bytes) } as Awaited<ReturnType<Connection<Readable>['exec']>>;
    },
    async command(params) {
      return (await call('command', wire(params))).result as unknown as Awaited<ReturnType<Connection<Readable>['command']>>;
    },
    async insert(params) {
      const values = await readAll(params.values);
      return (await call('insert', { ...wire(params), values })).result as unknown as Awaited<ReturnType<Connection<Readable>['insert']>>;
    },
    async close() {
      port.close();
    },
  };
}
