import type { ErrorAck, UploadResult } from '../protocol';
import { ATTACHMENTS } from './wire';

/** Who uploads: a visitor's session token, or an agent's token and the conversation it uploads to. */
export type UploadAuth = { session: string } | { agentToken: string; conversationId: string };

/** The caller's token as headers (never in a URL): the uploads' and the re-signing's. */
export function authHeaders(auth: UploadAuth): Record<string, string> {
  return 'session' in auth
    ? { [ATTACHMENTS.sessionHeader]: auth.session }
    : { [ATTACHMENTS.agentHeader]: auth.agentToken, [ATTACHMENTS.conversationHeader]: auth.conversationId };
}

/**
 * Uploads one file to `gateway` (its origin, e.g. `https://chat.example.com`) with the token in a header, reporting
 * progress from 0 to 1. XMLHttpRequest because fetch has no upload progress. Never rejects: a network failure is
 * `{ ok: false, code: 'internal' }` with `offline: true`, for the caller to retry later.
 */
export function uploadFile(
  gateway: string,
  auth: UploadAuth,
  file: Blob,
  name: string,
  onProgress?: (fraction: number) => void,
): Promise<UploadResult | (ErrorAck & { offline?: boolean })> {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', gateway + ATTACHMENTS.uploadPath);
    for (const [name, value] of Object.entries(authHeaders(auth))) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress?.(e.loaded / e.total);
    };
    xhr.onload = () => {
      try {
        resolve(JSON.parse(xhr.responseText) as UploadResult | ErrorAck);
      } catch {
        resolve({ ok: false, code: 'internal', message: `HTTP ${xhr.status}` });
      }
    };
    xhr.onerror = () => resolve({ ok: false, code: 'internal', message: 'network error', offline: true });
    const form = new FormData();
    form.append('file', file, name);
    xhr.send(form);
  });
}

/** "1.2 MB", "340 KB", "12 B": for file chips. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1_000_000) return `${(bytes / 1_000_000).toFixed(1)} MB`;
  if (bytes >= 1000) return `${Math.round(bytes / 1000)} KB`;
  return `${bytes} B`;
}
