/**
 * Stand-ins for the codecs of the sql-wire branch (`./compressed-blocks` and
 * `./native-protocol`), with their signatures, so the HTTP side's call sites are already in
 * place: until that branch is merged, `compress=1`, `decompress=1` and Native with
 * `client_protocol_version` answer a clear 400 instead of bytes a driver would misread.
 * Merging it is replacing this import in http-server.ts, then deleting this file.
 */
import { sqlError } from './clickhouse-errors';

function notYet(what: string): never {
  throw sqlError('NOT_IMPLEMENTED', `${what} is not supported by this ShelfStream build yet; connect without it (e.g. compress=0)`, { httpStatus: 400 });
}

export function encodeCompressedBlocks(_data: Uint8Array, _method: 'lz4' | 'zstd' | 'none'): Buffer {
  return notYet('compress=1 (ClickHouse compressed blocks in the response)');
}

export function decodeCompressedBlocks(_data: Uint8Array): Buffer {
  return notYet('decompress=1 (ClickHouse compressed blocks in the request)');
}

export function reframeNative(_body: Uint8Array, clientProtocolVersion: number): Buffer {
  return notYet(`Native output for client_protocol_version ${clientProtocolVersion}`);
}
