/**
 * Real ClickHouse drivers that no one here wrote, run as small programs from tests/clients/:
 * `jdbc/` (com.clickhouse:clickhouse-jdbc through java.sql, as Metabase and DBeaver) and `go/`
 * (clickhouse-go v2 over HTTP with LZ4, as Grafana). Each is built once per content of its
 * sources into the launcher's cache folder (`<SHELFSTREAM_CACHE_DIR>/clients/<name>-<hash>`),
 * with Maven's and Go's own caches for the downloads, so a fresh machine needs only java, mvn
 * and go, and a second run starts at once.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../lib/paths';
import { testConfig } from './fixtures';

const run = promisify(execFile);

const CLIENTS_DIR = join(REPO_ROOT, 'tests', 'clients');
/** A cold Maven build downloads the driver (~10 MB) and Maven's plugins. */
const BUILD_TIMEOUT_MS = 600_000; // ten minutes
/** A client reads every bi_* view of a small data set. */
const RUN_TIMEOUT_MS = 120_000; // two minutes
const MAX_OUTPUT_BYTES = 256 * 1024 * 1024;

export interface BuiltClient {
  /** Folder the build left, inside the cache. */
  readonly dir: string;
  /** Milliseconds the build took in this process; 0 when the cached build was used. */
  readonly buildMs: number;
}

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    if (entry === 'target') continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) files.push(...sourceFiles(path));
    else files.push(path);
  }
  return files;
}

/** The hash of a client's sources (paths and contents): a changed source rebuilds it. */
function sourceHash(dir: string): string {
  const hash = createHash('sha256');
  for (const file of sourceFiles(dir)) hash.update(relative(dir, file)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex').slice(0, 16);
}

function clientsCache(): string {
  return join(testConfig().launcher.cacheDir, 'clients');
}

/**
 * Builds into a scratch folder and renames it into place, so a build killed half way (or two
 * jest workers building at once) never leaves a folder that looks built.
 */
async function buildOnce(name: string, build: (scratch: string) => Promise<void>): Promise<BuiltClient> {
  const sources = join(CLIENTS_DIR, name);
  const dir = join(clientsCache(), `${name}-${sourceHash(sources)}`);
  if (existsSync(join(dir, '.built'))) return { dir, buildMs: 0 };
  const scratch = `${dir}.building-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  const started = Date.now();
  try {
    await build(scratch);
    writeFileSync(join(scratch, '.built'), `${new Date().toISOString()}\n`);
    if (!existsSync(join(dir, '.built'))) {
      // A folder without the marker is a build that died half way.
      rmSync(dir, { recursive: true, force: true });
      try {
        renameSync(scratch, dir);
      } catch (error) {
        // Another test process finished the same build first: use its copy.
        if (!existsSync(join(dir, '.built'))) throw error;
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return { dir, buildMs: Date.now() - started };
}

/** bi-reader built with clickhouse-go v2 (modules from the Go module cache, go.sum checked). */
export function buildGoClient(): Promise<BuiltClient> {
  return buildOnce('go', async (scratch) => {
    await run('go', ['build', '-mod=readonly', '-o', join(scratch, 'bi-reader'), '.'], {
      cwd: join(CLIENTS_DIR, 'go'),
      timeout: BUILD_TIMEOUT_MS,
      env: { ...process.env, CGO_ENABLED: '0' },
    });
  });
}

/** BiReader compiled against clickhouse-jdbc (the driver jar from Maven's local repository). */
export function buildJdbcClient(): Promise<BuiltClient> {
  return buildOnce('jdbc', async (scratch) => {
    // Maven writes target/ next to the pom: build a copy, so the checkout stays clean.
    const project = join(scratch, 'project');
    cpSync(join(CLIENTS_DIR, 'jdbc'), project, { recursive: true, filter: (src) => !src.includes(join('jdbc', 'target')) });
    await run('mvn', ['-q', '-B', 'package'], { cwd: project, timeout: BUILD_TIMEOUT_MS, maxBuffer: MAX_OUTPUT_BYTES });
  });
}

/** Runs a client with `input` on stdin and returns its stdout; a non-zero exit rejects with its stderr. */
function runClient(command: string, args: readonly string[], input?: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: RUN_TIMEOUT_MS });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(Buffer.concat(stdout));
      else reject(new Error(`${command} exited with ${code ?? signal}: ${Buffer.concat(stderr).toString().slice(-4_000)}`));
    });
    child.stdin.end(input);
  });
}

async function runJsonLines(command: string, args: readonly string[], input?: Uint8Array): Promise<Record<string, unknown>[]> {
  const lines = (await runClient(command, args, input)).toString().split('\n').filter((line) => line.trim().length > 0);
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

export interface EndpointLogin {
  /** host:port of the ClickHouse HTTP interface. */
  readonly address: string;
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

/** clickhouse-go over HTTP with LZ4: a `server` line, then one `{view, columns, rows}` line per bi_* view. */
export async function runGoClient(login: EndpointLogin): Promise<Record<string, unknown>[]> {
  const { dir } = await buildGoClient();
  return runJsonLines(join(dir, 'bi-reader'), ['-addr', login.address, '-user', login.user, '-password', login.password, '-database', login.database]);
}

/** clickhouse-go's own block decoder over a Native stream written for `revision`: one object per row. */
export async function decodeNativeWithGo(body: Uint8Array, revision: number): Promise<Record<string, unknown>[]> {
  const { dir } = await buildGoClient();
  return runJsonLines(join(dir, 'bi-reader'), ['-decode-native', String(revision)], body);
}

/** The bytes of ClickHouse compressed blocks, as clickhouse-go's reader (ch-go) decompresses them. */
export async function decodeBlocksWithGo(body: Uint8Array): Promise<Buffer> {
  const { dir } = await buildGoClient();
  return runClient(join(dir, 'bi-reader'), ['-decode-blocks'], body);
}

/** clickhouse-jdbc through java.sql with the driver's defaults: server, schemas, catalogs, tables, columns, prepared, view lines. */
export async function runJdbcClient(login: EndpointLogin): Promise<Record<string, unknown>[]> {
  const { dir } = await buildJdbcClient();
  const target = join(dir, 'project', 'target');
  const classpath = [join(target, 'bi-reader-jdbc-1.jar'), ...readdirSync(join(target, 'lib')).map((jar) => join(target, 'lib', jar))].join(':');
  const url = `jdbc:clickhouse://${login.address}/${login.database}`;
  return runJsonLines('java', ['-cp', classpath, 'local.shelfstream.BiReader', url, login.user, login.password]);
}
