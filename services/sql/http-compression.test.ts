import { gunzipSync, gzipSync, inflateSync } from 'node:zlib';
import { SqlEndpointError } from './contract';
import { chooseEncoding, compressBody, decompressBody } from './http-compression';

describe('chooseEncoding', () => {
  it('prefers br, then gzip, deflate and zstd, as a server does, whatever order the client lists', () => {
    expect(chooseEncoding('lz4,zstd,gzip,deflate')).toBe('gzip'); // clickhouse-connect's offer
    expect(chooseEncoding('zstd, deflate')).toBe('deflate');
    expect(chooseEncoding('br, gzip')).toBe('br');
    expect(chooseEncoding('zstd')).toBe('zstd');
    expect(chooseEncoding('gzip;q=0, deflate')).toBe('deflate');
    expect(chooseEncoding('lz4')).toBeUndefined();
    expect(chooseEncoding(undefined)).toBeUndefined();
  });
});

describe('compressBody / decompressBody', () => {
  const text = Buffer.from('store_id\tunits\n'.repeat(200));

  it('compresses in formats node:zlib reads back', async () => {
    expect(gunzipSync(await compressBody(text, 'gzip', 3))).toEqual(text);
    expect(inflateSync(await compressBody(text, 'deflate', 9))).toEqual(text);
  });

  it('reads back each encoding it writes, zstd included', async () => {
    for (const encoding of ['gzip', 'deflate', 'br', 'zstd'] as const) {
      const packed = await compressBody(text, encoding, 3);
      expect(packed.byteLength).toBeLessThan(text.byteLength / 10);
      expect(await decompressBody(packed, encoding, 1 << 20)).toEqual(text);
    }
  });

  it('refuses a body that expands beyond the cap, an unknown encoding and corrupt bytes, each by name', async () => {
    const bomb = gzipSync(Buffer.alloc(1 << 20));
    await expect(decompressBody(bomb, 'gzip', 1000)).rejects.toMatchObject({ code: 229, httpStatus: 413 });
    await expect(decompressBody(text, 'lz4', 1 << 20)).rejects.toMatchObject({ code: 89, httpStatus: 415 });
    const corrupt = await decompressBody(Buffer.from('not gzip'), 'gzip', 1 << 20).catch((e: unknown) => e);
    expect(corrupt).toBeInstanceOf(SqlEndpointError);
    expect((corrupt as SqlEndpointError).message).toMatch(/Cannot decompress the request body as gzip/);
  });

  it('passes an identity body through', async () => {
    expect(await decompressBody(text, undefined, 1 << 20)).toBe(text);
  });
});
