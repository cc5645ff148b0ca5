import type { ErrorAck } from '../protocol';
import { uploadFile } from './upload';

/** A file kept in the widget's outbox with its message until the message is acknowledged (IndexedDB stores Blobs). */
export interface OutboxFile {
  name: string;
  blob: Blob;
  /** The gateway's attachment id once uploaded; cleared when the gateway no longer knows it (expired). */
  id?: string;
}

export type FilesReady = { ok: true; ids: string[] } | (ErrorAck & { offline?: boolean });

/**
 * Uploads the files of one outbox entry that have no id yet, saving each id as soon as it is known (`save` writes
 * the entry back to the outbox): a reload between two uploads resumes after the last one, and the message itself is
 * sent once, by its client id, whatever happened to the uploads. An upload that was done but whose id was not saved
 * (a crash in between) is uploaded again; the orphan expires on the gateway within the hour.
 */
export async function uploadEntryFiles(
  gateway: string,
  session: string,
  files: OutboxFile[],
  save: (files: OutboxFile[]) => Promise<void>,
  onProgress?: (fraction: number) => void,
): Promise<FilesReady> {
  const total = files.reduce((n, f) => n + f.blob.size, 0) || 1;
  let done = files.reduce((n, f) => n + (f.id ? f.blob.size : 0), 0);
  for (const file of files) {
    if (file.id) continue;
    const result = await uploadFile(gateway, { session }, file.blob, file.name, (fraction) =>
      onProgress?.((done + fraction * file.blob.size) / total),
    );
    if (!result.ok) return result;
    file.id = result.attachment.id;
    done += file.blob.size;
    await save(files);
  }
  onProgress?.(1);
  return { ok: true, ids: files.map((f) => f.id!) };
}

/** After `attachment_invalid` (an upload expired before its message went out): upload every file again. */
export function forgetUploads(files: OutboxFile[]): OutboxFile[] {
  return files.map(({ name, blob }) => ({ name, blob }));
}
