/**
 * What every subcommand receives: the configuration parsed once at start-up, a logger that
 * writes JSON to stderr (stdout is for the command's own output), and the environment to hand
 * to child processes.
 */
import pino from 'pino';
import { secretValues, type Config } from '../lib/config';
import { createLogger, type Logger } from '../lib/logger';

export interface CliContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly env: NodeJS.ProcessEnv;
  /** Writes a line of the command's result to stdout. */
  readonly print: (line?: string) => void;
}

export function createCliContext(config: Config, env: NodeJS.ProcessEnv, service: string): CliContext {
  return {
    config,
    env,
    logger: createLogger({ level: config.logLevel, service, destination: pino.destination({ fd: 2, sync: true }), secrets: secretValues(config) }),
    print: (line = '') => process.stdout.write(`${line}\n`),
  };
}
