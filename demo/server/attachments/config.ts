import type { AttachmentOptions } from './index';
import { parseUploadTypes } from './kinds';

/**
 * The attachment settings of the environment: `PARLEY_MAX_UPLOAD_MB` (default 10), `PARLEY_UPLOADS_DIR`,
 * `PARLEY_UPLOAD_STORAGE` (`local|postgres`), `PARLEY_UPLOAD_TYPES`, `PARLEY_FILE_URL_SECRET`,
 * `PARLEY_FILE_URL_TTL_MINUTES` (default 60). Throws naming the bad variable.
 */
export function readAttachmentConfig(env: NodeJS.ProcessEnv): AttachmentOptions {
  const options: AttachmentOptions = { uploadTypes: parseUploadTypes(env.PARLEY_UPLOAD_TYPES) };
  const mb = env.PARLEY_MAX_UPLOAD_MB?.trim();
  if (mb) {
    const value = Number(mb);
    if (!(value > 0 && value <= 1024))
      throw new Error(`PARLEY_MAX_UPLOAD_MB must be a number from 0 to 1024, got "${mb}"`);
    options.maxUploadBytes = Math.round(value * 1024 * 1024);
  }
  const dir = env.PARLEY_UPLOADS_DIR?.trim();
  if (dir) options.uploadsDir = dir;
  const storage = env.PARLEY_UPLOAD_STORAGE?.trim().toLowerCase();
  if (storage) {
    if (storage !== 'local' && storage !== 'postgres') {
      throw new Error(`PARLEY_UPLOAD_STORAGE must be "local" or "postgres", got "${storage.slice(0, 40)}"`);
    }
    options.uploadStorage = storage;
  }
  const secret = env.PARLEY_FILE_URL_SECRET?.trim();
  if (secret) {
    if (secret.length < 32) throw new Error('PARLEY_FILE_URL_SECRET must be at least 32 characters');
    options.fileUrlSecret = secret;
  }
  const ttl = env.PARLEY_FILE_URL_TTL_MINUTES?.trim();
  if (ttl) {
    const minutes = Number(ttl);
    if (!(Number.isInteger(minutes) && minutes >= 1 && minutes <= 1440)) {
      throw new Error(`PARLEY_FILE_URL_TTL_MINUTES must be an integer from 1 to 1440, got "${ttl.slice(0, 20)}"`);
    }
    options.fileUrlTtlMs = minutes * 60 * 1000;
  }
  return options;
}
