/**
 * MinIO, built from source with `go install github.com/minio/minio@<version>` through the Go
 * module proxy into the cache, then run as `minio server` on a data folder. The root
 * credentials are the object-store credentials from the configuration.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { GO, requireTool } from './prerequisites';
import { httpOk, runCommand, type LaunchContext, type NativeService } from './service';

function binDir(ctx: LaunchContext): string {
  return join(ctx.config.launcher.cacheDir, 'minio', ctx.config.launcher.minio.moduleVersion);
}

function dataDir(ctx: LaunchContext): string {
  return join(ctx.config.launcher.dataDir, 'minio');
}

export const minioService: NativeService = {
  name: 'minio',
  title: 'MinIO (S3 object store)',
  ports: (ctx) => [
    { port: ctx.config.launcher.minio.port, variable: 'MINIO_PORT' },
    { port: ctx.config.launcher.minio.consolePort, variable: 'MINIO_CONSOLE_PORT' },
  ],
  url: (ctx) => `http://127.0.0.1:${ctx.config.launcher.minio.port}`,

  async install(ctx) {
    const bin = join(binDir(ctx), 'minio');
    if (existsSync(bin)) return 'cached';
    requireTool(GO, 'build MinIO');
    // Built into a folder of its own and renamed into place: an install cut short (a CI job
    // stopped mid-build) must not leave a partial binary that the next run takes as cached.
    const building = `${binDir(ctx)}.building-${process.pid}`;
    rmSync(building, { recursive: true, force: true });
    mkdirSync(building, { recursive: true });
    try {
      // GOBIN puts the binary in our cache; go's own module and build caches (outside the repo)
      // make a rebuild after a version change incremental.
      await runCommand('go', ['install', `github.com/minio/minio@${ctx.config.launcher.minio.moduleVersion}`], {
        env: { ...ctx.env, GOBIN: building, CGO_ENABLED: '0' },
        purpose: 'build MinIO with go install (a first build takes a few minutes)',
        service: 'minio',
      });
      mkdirSync(binDir(ctx), { recursive: true });
      renameSync(join(building, 'minio'), bin);
    } finally {
      rmSync(building, { recursive: true, force: true });
    }
    return 'installed';
  },

  async prepare(ctx) {
    mkdirSync(dataDir(ctx), { recursive: true });
  },

  processSpec(ctx) {
    const { port, consolePort, memoryMb } = ctx.config.launcher.minio;
    const data = dataDir(ctx);
    return {
      name: 'minio',
      command: join(binDir(ctx), 'minio'),
      args: ['server', data, '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`],
      env: {
        MINIO_ROOT_USER: ctx.config.objectStore.accessKey,
        MINIO_ROOT_PASSWORD: ctx.config.objectStore.secretKey,
        GOMEMLIMIT: `${memoryMb}MiB`,
        MINIO_UPDATE: 'off', // no network beyond loopback: never look for updates
      },
      cwd: data,
      marker: data,
    };
  },

  async health(ctx) {
    const base = `http://127.0.0.1:${ctx.config.launcher.minio.port}`;
    await httpOk(`${base}/minio/health/live`);
    await httpOk(`${base}/minio/health/ready`);
  },
};
