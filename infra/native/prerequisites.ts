/**
 * The tools the native launcher needs, checked before they are used, with a message that says
 * what to install instead of a spawn ENOENT from deep inside an install step.
 */
import { spawnSync } from 'node:child_process';
import { ShelfStreamError } from '../../lib/errors';

export interface Tool {
  readonly command: string;
  readonly versionArgs: readonly string[];
  /** Extracts the major version from the version output; undefined skips the check. */
  readonly major?: (output: string) => number | undefined;
  readonly minMajor?: number;
  readonly install: string;
}

export const JAVA: Tool = {
  command: 'java',
  versionArgs: ['-version'],
  major: (out) => {
    const m = /version "(\d+)(?:\.(\d+))?/.exec(out);
    if (!m) return undefined;
    return m[1] === '1' ? Number(m[2]) : Number(m[1]);
  },
  minMajor: 17,
  install: 'Java 17 or newer (Debian/Ubuntu: apt-get install openjdk-17-jre-headless; macOS: brew install openjdk@17)',
};

export const MAVEN: Tool = {
  command: 'mvn',
  versionArgs: ['-v'],
  install: 'Apache Maven 3.6+ (Debian/Ubuntu: apt-get install maven; macOS: brew install maven)',
};

export const GO: Tool = {
  command: 'go',
  versionArgs: ['version'],
  major: (out) => {
    const m = /go(\d+)\.(\d+)/.exec(out);
    return m ? Number(m[1]) * 100 + Number(m[2]) : undefined;
  },
  minMajor: 124, // go1.24: what MinIO's go.mod asks for at the time of writing
  install: 'Go 1.24 or newer (https://go.dev/doc/install; Debian backports: apt-get install golang-1.24)',
};

export interface ToolVersion {
  readonly command: string;
  readonly major: number | undefined;
  readonly output: string;
}

export function requireTool(tool: Tool, purpose: string): ToolVersion {
  const result = spawnSync(tool.command, [...tool.versionArgs], { encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    throw new ShelfStreamError('PREREQUISITE_MISSING', `${tool.command} is needed to ${purpose} but was not found on PATH. Install ${tool.install}.`, {
      cause: result.error,
      context: { tool: tool.command },
    });
  }
  const output = `${result.stdout}${result.stderr}`;
  const major = tool.major?.(output);
  if (tool.minMajor !== undefined && major !== undefined && major < tool.minMajor) {
    throw new ShelfStreamError(
      'PREREQUISITE_MISSING',
      `${tool.command} is too old to ${purpose} (found: ${output.split('\n')[0]?.trim()}). Install ${tool.install}.`,
      { context: { tool: tool.command, found: major } },
    );
  }
  return { command: tool.command, major, output };
}
