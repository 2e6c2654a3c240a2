/** MinIO through the `minio` client: a bucket, an object written and read back byte for byte. */
import { randomBytes } from 'node:crypto';
import { createObjectStore, ensureBucket } from '../../lib/clients/objectstore';
import { registerCleanup, testConfig, uniqueName } from '../harness/fixtures';

describe('object store', () => {
  it('writes an object and reads the same bytes back', async () => {
    const config = testConfig();
    const client = createObjectStore(config.objectStore);
    const bucket = uniqueName('test');
    expect(await ensureBucket(client, bucket)).toBe('created');
    expect(await ensureBucket(client, bucket)).toBe('exists');
    registerCleanup(async () => {
      const names: string[] = [];
      for await (const o of client.listObjectsV2(bucket, '', true)) names.push((o as { name: string }).name);
      if (names.length) await client.removeObjects(bucket, names);
      await client.removeBucket(bucket);
    });

    const body = randomBytes(256 * 1024);
    const key = 'raw/topic=pos.sales/dt=2026-11-23/hour=10/part-0-0-99.parquet';
    await client.putObject(bucket, key, body, body.length, { 'Content-Type': 'application/vnd.apache.parquet' });

    const stat = await client.statObject(bucket, key);
    expect(stat.size).toBe(body.length);
    const chunks: Buffer[] = [];
    for await (const chunk of await client.getObject(bucket, key)) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(body)).toBe(true);
  });
});
