/**
 * Python packages the tests need (the Standard Webhooks reference verifier), installed by the
 * project itself from PyPI under $SHELFSTREAM_CACHE_DIR/python/<hash of the requirements file>,
 * once, then reused; a changed requirements file gets a fresh folder. CI machines have Python and
 * pip and nothing else: a virtualenv when `python3 -m venv` works, else (Debian without
 * python3-venv) `pip install --target` and PYTHONPATH.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../lib/config';

export interface PythonRuntime {
  readonly python: string;
  readonly env: Readonly<Record<string, string>>;
}

function runtimeIn(folder: string): PythonRuntime | undefined {
  const venvPython = join(folder, 'bin', 'python');
  if (existsSync(venvPython)) return { python: venvPython, env: {} };
  if (existsSync(join(folder, 'site-packages'))) return { python: 'python3', env: { PYTHONPATH: join(folder, 'site-packages') } };
  return undefined;
}

/** A Python that imports `requirementsFile`'s packages. */
export function pythonWith(requirementsFile: string): PythonRuntime {
  const digest = createHash('sha256').update(readFileSync(requirementsFile)).digest('hex').slice(0, 16);
  const root = join(loadConfig(process.env).launcher.cacheDir, 'python');
  const folder = join(root, `venv-${digest}`);
  const ready = runtimeIn(folder);
  if (ready) return ready;
  mkdirSync(root, { recursive: true });
  // Built aside and renamed into place, so a run killed half-way leaves nothing half-installed.
  const building = `${folder}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  const pip = ['--quiet', '--disable-pip-version-check', '-r', requirementsFile];
  try {
    execFileSync('python3', ['-m', 'venv', building], { stdio: 'inherit' });
    execFileSync(join(building, 'bin', 'python'), ['-m', 'pip', 'install', ...pip], { stdio: 'inherit' });
  } catch {
    rmSync(building, { recursive: true, force: true });
    execFileSync('python3', ['-m', 'pip', 'install', '--target', join(building, 'site-packages'), ...pip], { stdio: 'inherit' });
  }
  try {
    renameSync(building, folder);
  } catch (error) {
    rmSync(building, { recursive: true, force: true });
    if (!runtimeIn(folder)) throw error;
  }
  return runtimeIn(folder)!;
}
