// @vitest-environment node
// The conversation list's preview of a message that carries files only (issue 16): it says what was sent, both from
// the summary the gateway builds (`lastMessage.files`) and from a live `message` event the console applies itself.
import { afterEach, describe, expect, it } from 'vitest';
import { preview } from '../../../demo/console/format';
import { initialState, mergeConversation, receiveMessage } from '../../../demo/console/state';
import type { ConversationSummary, Message, UploadedFile } from '../../../src/protocol';
import { call, type Fixture, startGateway } from '../../support/in-process-gateway';

describe('the gateway’s summary of a files-only message', () => {
  let fx: Fixture;
  afterEach(async () => {
    await fx.stop();
  });

  async function upload(session: string, name: string): Promise<string> {
    const form = new FormData();
    form.append('file', new Blob([`contents of ${name}`], { type: 'text/plain' }), name);
    const res = await fetch(`${fx.url}/uploads`, {
      method: 'POST',
      headers: { 'Parley-Session': session },
      body: form,
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { attachment: UploadedFile }).attachment.id;
  }

  it('names the one file, or counts several, in the list', async () => {
    fx = await startGateway();
    const visitor = await fx.chatting();
    const agent = await fx.agent();
    const session = visitor.welcome.session!;
    const summary = async () => {
      const { conversations } = await call<{ conversations: ConversationSummary[] }>(agent.socket, 'list', {});
      return conversations.find((c) => c.id === visitor.conversationId)!;
    };

    const one = await call(visitor.socket, 'send', {
      clientId: 'files-0001',
      text: '',
      attachments: [await upload(session, 'notes.txt')],
    });
    expect(one).toMatchObject({ ok: true });
    expect((await summary()).lastMessage).toEqual({
      author: 'visitor',
      text: '',
      files: { count: 1, name: 'notes.txt' },
    });
    expect(preview(await summary())).toBe('📎 notes.txt');

    const ids = [await upload(session, 'a.txt'), await upload(session, 'b.txt')];
    expect((await call(visitor.socket, 'send', { clientId: 'files-0002', text: '', attachments: ids })).ok).toBe(true);
    expect(preview(await summary())).toBe('📎 2 files');

    // A message with text previews its text, and its summary carries no files when it has none.
    expect((await call(visitor.socket, 'send', { clientId: 'files-0003', text: 'thanks' })).ok).toBe(true);
    expect((await summary()).lastMessage).toEqual({ author: 'visitor', text: 'thanks' });
  });
});

describe('a live message applied by the console', () => {
  const summary: ConversationSummary = {
    id: 'c1',
    site: 'demo',
    status: 'open',
    lastSeq: 1,
    lastActivityAt: 1000,
    lastMessage: { author: 'visitor', text: 'hello' },
    unread: 0,
    visitor: { id: 'v1', label: 'Visitor 1', verified: false },
  } as ConversationSummary;
  const file = (name: string) => ({ id: name, name, size: 1, type: 'image/png', url: `/files/${name}/file` });
  const message = (seq: number, author: Message['author'], names: string[]): Message =>
    ({
      id: `m${seq}`,
      conversationId: 'c1',
      seq,
      author,
      clientId: `c${seq}`,
      text: '',
      createdAt: 1000 + seq,
      attachments: names.map(file),
    }) as Message;

  it('previews the file name, or the number of files, instead of an empty line', () => {
    let state = mergeConversation(initialState(), summary);
    state = receiveMessage(state, message(2, 'visitor', ['photo.png']));
    expect(preview(state.conversations.c1!)).toBe('📎 photo.png');
    state = receiveMessage(state, message(3, 'agent', ['a.png', 'b.png']));
    expect(preview(state.conversations.c1!)).toBe('Agent: 📎 2 files');
  });
});
