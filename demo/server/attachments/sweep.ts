import type { Logger } from '../log';
import type { AttachmentClaim, Store } from '../store/types';
import type { FileStorage } from './storage';

/** How long an upload may wait for a message (`PARLEY_UPLOAD_PENDING_MINUTES` is not configurable: one hour). */
export const PENDING_TTL_MS = 60 * 60 * 1000;
/** The sweep deletes pending uploads only this long after claims stop accepting them, so it never races a claim. */
const SWEEP_MARGIN_MS = 10 * 60 * 1000;
const BATCH = 500;

/** What a message of `owner` claims: these uploads, if still pending (uploaded within `PENDING_TTL_MS`). */
export function claimBy(owner: string, ids: readonly string[], now = Date.now()): AttachmentClaim {
  return { ids, owner, uploadedAfter: now - PENDING_TTL_MS };
}

/**
 * Deletes expired pending uploads and the files of deleted messages or conversations: rows first (see
 * `sweepAttachmentsSql`), then the bytes. A crash in between leaves bytes no row points to (never served: downloads
 * need the row); that is logged as a count of failed removals to clean by hand.
 */
export function startAttachmentSweeper(input: {
  store: Store;
  storage: FileStorage;
  intervalMs: number;
  now: () => number;
  logger: Logger;
  track: <T>(work: Promise<T>) => Promise<T>;
}) {
  const { store, storage, logger } = input;
  const sweep = async (): Promise<number> => {
    let total = 0;
    for (;;) {
      const gone = await store.sweepAttachments({
        pendingBefore: input.now() - PENDING_TTL_MS - SWEEP_MARGIN_MS,
        batch: BATCH,
      });
      for (const { id, thumb } of gone) {
        await storage.remove(id);
        if (thumb) await storage.remove(`${id}.thumb`);
      }
      total += gone.length;
      if (gone.length < BATCH) return total;
    }
  };
  const timer = setInterval(() => {
    input.track(sweep()).then(
      (n) => {
        if (n > 0) logger.info('attachments deleted', { count: n });
      },
      (err: unknown) => logger.error('attachment sweep failed', { err }),
    );
  }, input.intervalMs);
  timer.unref();
  return { sweep: () => input.track(sweep()), stop: () => clearInterval(timer) };
}
