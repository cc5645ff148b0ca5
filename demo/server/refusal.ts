import type { ExtendedError } from 'socket.io';
import type { ErrorCode } from '../../src/protocol';

/** A handshake refusal; the client's `connect_error` carries `data.code`. */
export function refusal(code: ErrorCode, message: string): ExtendedError {
  const err: ExtendedError = new Error(message);
  err.data = { code, message };
  return err;
}
