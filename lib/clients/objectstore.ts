/**
 * The S3-compatible object store client (MinIO's own client; it speaks to any S3 endpoint).
 */
import { Agent as HttpsAgent } from 'node:https';
import { Client } from 'minio';
import type { ObjectStoreConfig } from '../config';
import { trustedCas } from './trust';

export { Client as ObjectStoreClient } from 'minio';

export function createObjectStore(config: ObjectStoreConfig): Client {
  return new Client({
    endPoint: config.endPoint,
    port: config.port,
    useSSL: config.useSSL,
    accessKey: config.accessKey,
    secretKey: config.secretKey,
    // Path-style addressing works on a loopback MinIO without DNS for bucket subdomains.
    pathStyle: true,
    ...(config.useSSL && config.caFile !== undefined ? { transportAgent: new HttpsAgent({ ca: trustedCas(config.caFile), keepAlive: true }) } : {}),
  });
}

/** Creates the bucket if it does not exist; safe to call on every start. */
export async function ensureBucket(client: Client, bucket: string): Promise<'created' | 'exists'> {
  if (await client.bucketExists(bucket)) return 'exists';
  try {
    await client.makeBucket(bucket);
    return 'created';
  } catch (error) {
    // Another process may have created it between the check and the call.
    if ((error as { code?: string }).code === 'BucketAlreadyOwnedByYou') return 'exists';
    throw error;
  }
}
