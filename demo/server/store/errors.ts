import { StoreError } from './types';

/** Any failure as a `StoreError` (kept as is when it already is one, e.g. `NotFoundError`). */
export function toStoreError(err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  return new StoreError(err instanceof Error ? err.message : String(err), { cause: err });
}

/** Runs one store operation, so that whatever it throws reaches the handlers as a `StoreError`. */
export async function guard<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toStoreError(err);
  }
}
