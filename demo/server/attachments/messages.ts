import type { Attachment, Message } from '../../../src/protocol';
import type { Store, StoredAttachment } from '../store/types';
import type { UrlSigner } from './signing';

/**
 * The store as handlers see it once attachments are on: every message it returns (sent, duplicate, history, catch-up,
 * `open`) carries its files' metadata and freshly signed URLs. URLs are never stored; a message only ever carries the
 * files its own row claimed, so no event of one conversation can hold another conversation's URL.
 */
export function withAttachmentUrls(store: Store, signer: UrlSigner): Store {
  const attach = async (messages: Message[]): Promise<Message[]> => {
    if (messages.length === 0) return messages;
    const byMessage = await store.attachmentsOf(messages.map((m) => m.id));
    if (byMessage.size === 0) return messages;
    return messages.map((m) => {
      const files = byMessage.get(m.id);
      return files ? { ...m, attachments: files.map((f) => toAttachment(f, signer)) } : m;
    });
  };
  return Object.assign(Object.create(store) as Store, {
    async appendMessage(conversationId: string, input: Parameters<Store['appendMessage']>[1]) {
      const result = await store.appendMessage(conversationId, input);
      // A fresh message without claims has no files: no query.
      if (!result.duplicate && !input.attachments) return result;
      const [message] = await attach([result.message]);
      return { ...result, message: message! };
    },
    async messagesAfter(conversationId: string, afterSeq: number, limit?: number) {
      const page = await store.messagesAfter(conversationId, afterSeq, limit);
      return { ...page, messages: await attach(page.messages) };
    },
  });
}

function toAttachment(stored: StoredAttachment, signer: UrlSigner): Attachment {
  const attachment: Attachment = {
    id: stored.id,
    name: stored.name,
    size: stored.size,
    type: stored.type,
    url: signer.url(stored.id, 'file'),
  };
  if (stored.width !== undefined && stored.height !== undefined) {
    attachment.width = stored.width;
    attachment.height = stored.height;
  }
  if (stored.thumb) attachment.thumbUrl = signer.url(stored.id, 'thumb');
  return attachment;
}
