/**
 * A Confluent-API-compatible schema registry: Apicurio Registry's runnable distribution from
 * Maven Central (io.apicurio:apicurio-registry-app, classifier `all`, zip), serving the
 * Confluent API at /apis/ccompat/v7. Its storage is in memory, so `down` exports the registry
 * (ids included) to the data folder and the next `up` imports it: schema ids written into
 * Kafka records stay resolvable across restarts.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ShelfStreamError } from '../../lib/errors';
import { JAVA, MAVEN, requireTool } from './prerequisites';
import { httpOk, runCommand, type LaunchContext, type NativeService } from './service';

const MARKER = '-Dshelfstream.service=registry';

function installDir(ctx: LaunchContext): string {
  return join(ctx.config.launcher.cacheDir, 'apicurio', ctx.config.launcher.registry.apicurioVersion);
}

function dataDir(ctx: LaunchContext): string {
  return join(ctx.config.launcher.dataDir, 'registry');
}

export function exportFile(ctx: LaunchContext): string {
  return join(dataDir(ctx), 'registry-export.zip');
}

function baseUrl(ctx: LaunchContext): string {
  return `http://127.0.0.1:${ctx.config.launcher.registry.port}`;
}

/** Apicurio 2.x ships a legacy runner jar; 3.x a Quarkus fast-jar (quarkus-app/quarkus-run.jar). */
function runnerJar(dir: string): string {
  const fastJar = join(dir, 'quarkus-app', 'quarkus-run.jar');
  if (existsSync(fastJar)) return fastJar;
  const runner = readdirSync(dir).find((f) => f.endsWith('-runner.jar'));
  if (runner) return join(dir, runner);
  throw new ShelfStreamError('INSTALL_FAILED', `no runnable jar in ${dir}; delete the folder to download again`, {
    context: { service: 'registry' },
  });
}

export const registryService: NativeService = {
  name: 'registry',
  title: 'Schema registry (Apicurio, ccompat v7)',
  ports: (ctx) => [{ port: ctx.config.launcher.registry.port, variable: 'REGISTRY_PORT' }],
  url: (ctx) => `${baseUrl(ctx)}/apis/ccompat/v7`,

  async install(ctx) {
    const dir = installDir(ctx);
    if (existsSync(join(dir, '.complete'))) return 'cached';
    const java = requireTool(JAVA, 'run the Apicurio schema registry');
    const version = ctx.config.launcher.registry.apicurioVersion;
    if (/^3\./.test(version) && (java.major ?? 0) < 21) {
      throw new ShelfStreamError(
        'PREREQUISITE_MISSING',
        `Apicurio ${version} needs Java 21 or newer (found ${java.major}). Put a Java 21+ first on PATH, or set APICURIO_VERSION=2.6.13.Final.`,
        { context: { service: 'registry' } },
      );
    }
    requireTool(MAVEN, 'download Apicurio Registry from Maven Central');
    const staging = `${dir}.partial`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    await runCommand(
      'mvn',
      ['-q', '-B', 'dependency:copy', `-Dartifact=io.apicurio:apicurio-registry-app:${version}:zip:all`, `-DoutputDirectory=${staging}`],
      { env: ctx.env, cwd: staging, purpose: `download Apicurio Registry ${version} from Maven Central`, service: 'registry' },
    );
    const zip = readdirSync(staging).find((f) => f.endsWith('.zip'));
    if (!zip) throw new ShelfStreamError('INSTALL_FAILED', `Maven downloaded no zip for Apicurio ${version}`, { context: { service: 'registry' } });
    // `jar` ships with every JDK, so unpacking needs nothing beyond the Java we already require.
    await runCommand('jar', ['xf', zip], { cwd: staging, env: ctx.env, purpose: 'unpack Apicurio Registry', service: 'registry' });
    rmSync(join(staging, zip));
    runnerJar(staging);
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
    writeFileSync(join(dir, '.complete'), new Date().toISOString());
    return 'installed';
  },

  async prepare(ctx) {
    mkdirSync(dataDir(ctx), { recursive: true });
  },

  processSpec(ctx) {
    const { port, heapMb } = ctx.config.launcher.registry;
    const imported = existsSync(exportFile(ctx)) ? [`-Dregistry.import.url=${pathToFileURL(exportFile(ctx)).href}`] : [];
    return {
      name: 'registry',
      command: 'java',
      args: [
        MARKER,
        // Names the stack's data folder in the command line, so `ps` tells stacks apart.
        `-Dshelfstream.data=${ctx.config.launcher.dataDir}`,
        `-Xmx${heapMb}m`,
        '-XX:+UseSerialGC', // a small heap and two cores: the serial collector has the least overhead
        '-Dquarkus.http.host=127.0.0.1',
        `-Dquarkus.http.port=${port}`,
        '-Dquarkus.log.level=INFO',
        ...imported,
        '-jar',
        runnerJar(installDir(ctx)),
      ],
      cwd: dataDir(ctx),
      marker: MARKER,
    };
  },

  async health(ctx) {
    await httpOk(`${baseUrl(ctx)}/health/ready`);
    await httpOk(`${baseUrl(ctx)}/apis/ccompat/v7/subjects`);
  },
};

/** Saves every artifact, version and id before the in-memory registry stops. */
export async function exportRegistry(ctx: LaunchContext): Promise<boolean> {
  try {
    const response = await httpOk(`${baseUrl(ctx)}/apis/registry/v2/admin/export`, 30_000, { headers: { accept: 'application/zip' } });
    const body = Buffer.from(await response.arrayBuffer());
    mkdirSync(dataDir(ctx), { recursive: true });
    writeFileSync(`${exportFile(ctx)}.partial`, body);
    renameSync(`${exportFile(ctx)}.partial`, exportFile(ctx));
    return true;
  } catch (error) {
    ctx.logger.warn({ err: error }, 'could not export the schema registry before stopping; its schemas will be registered again by `shelfstream init`');
    return false;
  }
}
