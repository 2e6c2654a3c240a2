/**
 * Where the sealing key comes from, read once by the entry points: ALERTS_SECRET_KEY, else the
 * key file, created with a random key (mode 0600) when missing so one machine works out of the
 * box. A cluster must share one key; a key file made per machine would make each instance unable
 * to open the others' subscriptions, which `open` reports by name.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AlertsConfig } from '../../lib/config';
import { parseSecretKey, SECRET_KEY_BYTES } from './secret-box';

export function loadSecretKey(config: AlertsConfig): { key: Buffer; created: boolean } {
  if (config.secretKey !== undefined) return { key: parseSecretKey(config.secretKey), created: false };
  if (existsSync(config.secretKeyFile)) return { key: parseSecretKey(readFileSync(config.secretKeyFile, 'utf8')), created: false };
  mkdirSync(dirname(config.secretKeyFile), { recursive: true });
  const encoded = randomBytes(SECRET_KEY_BYTES).toString('base64');
  // 'wx': never overwrite a key another process wrote meanwhile.
  try {
    writeFileSync(config.secretKeyFile, `${encoded}\n`, { mode: 0o600, flag: 'wx' });
    return { key: parseSecretKey(encoded), created: true };
  } catch {
    return { key: parseSecretKey(readFileSync(config.secretKeyFile, 'utf8')), created: false };
  }
}
