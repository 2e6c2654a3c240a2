/**
 * What the launcher knows about one native service: how to install it into the cache, how to
 * prepare its data folder, the process to run, and how to tell it is healthy.
 */
import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import type { Config } from '../../lib/config';
import { ShelfStreamError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import type { ProcessSpec } from './supervisor';

export type ServiceName = 'kafka' | 'registry' | 'minio';

export interface LaunchContext {
  readonly config: Config;
  readonly logger: Logger;
  /** The environment handed to child processes (PATH, HOME, proxies...), captured by the CLI. */
  readonly env: NodeJS.ProcessEnv;
}

export interface PortClaim {
  readonly port: number;
  /** The variable that changes it, named in the error when the port is taken. */
  readonly variable: string;
}

export interface NativeService {
  readonly name: ServiceName;
  readonly title: string;
  ports(ctx: LaunchContext): readonly PortClaim[];
  /** Where clients reach it, for `status`. */
  url(ctx: LaunchContext): string;
  /** Installs into the cache unless already there. */
  install(ctx: LaunchContext): Promise<'installed' | 'cached'>;
  /** Prepares the data folder (e.g. formats Kafka storage on first start). */
  prepare(ctx: LaunchContext): Promise<void>;
  processSpec(ctx: LaunchContext): ProcessSpec;
  /** Resolves when the service answers as healthy; rejects with the reason otherwise. */
  health(ctx: LaunchContext): Promise<void>;
}

/** Runs a command to completion, keeping the tail of its output for the error message. */
export async function runCommand(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env: NodeJS.ProcessEnv; purpose: string; service: ServiceName },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-8_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (error) =>
      reject(new ShelfStreamError('INSTALL_FAILED', `${options.purpose}: cannot run ${command}`, { cause: error, context: { service: options.service } })),
    );
    child.on('close', (code) => {
      if (code === 0) resolve(output);
      else
        reject(
          new ShelfStreamError('INSTALL_FAILED', `${options.purpose}: ${command} exited with ${code}\n${output.trim().split('\n').slice(-15).join('\n')}`, {
            context: { service: options.service, command: [command, ...args].join(' ') },
          }),
        );
    });
  });
}

/** True when something accepts TCP connections on host:port. */
export function portAnswers(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (answer: boolean): void => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function httpOk(url: string, timeoutMs = 2_000, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`);
  return response;
}
