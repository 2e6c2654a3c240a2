/**
 * The certificates of the natively launched broker's SASL_SSL listener: a CA made for this data
 * folder and a broker certificate it signs, for IP 127.0.0.1 only (the address the listener
 * advertises), so a client that connects by another name (`localhost`) is refused, as a
 * client of a real cluster would be. Made with `keytool`, which ships with the Java that runs
 * Kafka (openssl is not guaranteed on a fresh machine, and Node's crypto cannot sign X.509),
 * once per data folder: later starts reuse them.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from './service';

export interface BrokerTls {
  /** PEM of the CA clients must trust (KAFKA_SSL_CA_FILE). */
  readonly caFile: string;
  /** PKCS12 keystore holding the broker's key and certificate chain. */
  readonly keystoreFile: string;
  readonly keystorePassword: string;
}

const VALIDITY_DAYS = '365';

export function brokerTlsFiles(dir: string): BrokerTls | undefined {
  const passwordFile = join(dir, 'keystore.password');
  if (!existsSync(join(dir, '.complete'))) return undefined;
  return { caFile: join(dir, 'ca.pem'), keystoreFile: join(dir, 'broker.p12'), keystorePassword: readFileSync(passwordFile, 'utf8').trim() };
}

/** Makes (or reuses) the CA and the broker keystore in `dir`. */
export async function ensureBrokerTls(dir: string, env: NodeJS.ProcessEnv): Promise<BrokerTls> {
  const existing = brokerTlsFiles(dir);
  if (existing) return existing;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const password = randomBytes(18).toString('base64url');
  const ca = join(dir, 'ca.p12');
  const broker = join(dir, 'broker.p12');
  const keytool = (purpose: string, args: string[]): Promise<string> =>
    // A short-lived JVM each: the client compiler and serial GC start it about twice as fast.
    runCommand('keytool', ['-J-XX:TieredStopAtLevel=1', '-J-XX:+UseSerialGC', ...args, '-storetype', 'PKCS12', '-storepass', password], { env, purpose, service: 'kafka' });
  const keypair = ['-genkeypair', '-keyalg', 'EC', '-groupname', 'secp256r1', '-validity', VALIDITY_DAYS];
  await keytool('make the broker CA', [...keypair, '-alias', 'ca', '-dname', 'CN=ShelfStream native broker CA', '-ext', 'bc:c', '-keystore', ca]);
  await keytool('export the broker CA', ['-exportcert', '-rfc', '-alias', 'ca', '-keystore', ca, '-file', join(dir, 'ca.pem')]);
  await keytool('make the broker key', [...keypair, '-alias', 'broker', '-dname', 'CN=127.0.0.1', '-keystore', broker]);
  await keytool('request the broker certificate', ['-certreq', '-alias', 'broker', '-keystore', broker, '-file', join(dir, 'broker.csr')]);
  await keytool('sign the broker certificate', [
    '-gencert',
    '-rfc',
    '-alias',
    'ca',
    '-keystore',
    ca,
    '-infile',
    join(dir, 'broker.csr'),
    '-outfile',
    join(dir, 'broker.pem'),
    '-validity',
    VALIDITY_DAYS,
    '-ext',
    'SAN=ip:127.0.0.1',
    '-ext',
    'EKU=serverAuth',
  ]);
  // The chain in the broker keystore: the CA first, then the signed certificate replaces the self-signed one.
  await keytool('import the CA into the broker keystore', ['-importcert', '-noprompt', '-alias', 'ca', '-file', join(dir, 'ca.pem'), '-keystore', broker]);
  await keytool('import the broker certificate', ['-importcert', '-noprompt', '-alias', 'broker', '-file', join(dir, 'broker.pem'), '-keystore', broker]);
  writeFileSync(join(dir, 'keystore.password'), password, { mode: 0o600 });
  writeFileSync(join(dir, '.complete'), new Date().toISOString());
  return { caFile: join(dir, 'ca.pem'), keystoreFile: broker, keystorePassword: password };
}
