import { useState } from 'preact/hooks';
import { CANNED, type CannedReply } from '../../../src/protocol.js';
import type { ConsoleTools } from '../console-tools.js';

interface Props {
  tools: ConsoleTools;
  replies: readonly CannedReply[];
}

type Editing = { id?: string; shortcut: string; text: string } | null;

/**
 * Shared canned replies, editable by every agent (the file's are listed read-only). A change reaches every console
 * through the gateway's `canned` event.
 */
export function CannedManager({ tools, replies }: Props) {
  const [editing, setEditing] = useState<Editing>(null);
  const [error, setError] = useState<string | null>(null);
  const act = async (run: () => Promise<{ ok: true } | { ok: false; message: string }>, after?: () => void) => {
    setError(null);
    const ack = await run();
    if (ack.ok) after?.();
    else setError(ack.message);
  };
  return (
    <details class="canned-manager">
      <summary>Canned replies ({replies.length})</summary>
      <p class="muted">
        Type / in the reply box to insert one. Fields: {CANNED.fields.map((f) => `{{${f}}}`).join(', ')}; a fallback
        after |, e.g. {'{{visitor.name|there}}'}.
      </p>
      <ul class="context-list">
        {replies.map((reply) => (
          <li key={reply.id}>
            <strong>/{reply.shortcut}</strong> <span class="muted">{reply.text}</span>
            {reply.source === 'db' ? (
              <span class="canned-manager__actions">
                <button type="button" class="button button--small" onClick={() => setEditing({ ...reply })}>
                  Edit<span class="sr-only"> /{reply.shortcut}</span>
                </button>
                <button
                  type="button"
                  class="button button--small"
                  onClick={() => void act(() => tools.deleteCanned(reply.id))}
                >
                  Delete<span class="sr-only"> /{reply.shortcut}</span>
                </button>
              </span>
            ) : (
              <span class="muted"> (from the gateway’s file)</span>
            )}
          </li>
        ))}
      </ul>
      {editing ? (
        <CannedForm
          editing={editing}
          onChange={setEditing}
          onSave={() =>
            void act(
              () => tools.saveCanned(editing),
              () => setEditing(null),
            )
          }
        />
      ) : (
        <button type="button" class="button button--small" onClick={() => setEditing({ shortcut: '', text: '' })}>
          Add a canned reply
        </button>
      )}
      {error && (
        <p class="alert" role="alert">
          {error}
        </p>
      )}
    </details>
  );
}

function CannedForm({
  editing,
  onChange,
  onSave,
}: {
  editing: NonNullable<Editing>;
  onChange(e: Editing): void;
  onSave(): void;
}) {
  return (
    <form
      class="canned-form"
      onSubmit={(e) => {
        e.preventDefault();
        onSave();
      }}
    >
      <label>
        Shortcut
        <input
          class="canned-form__shortcut"
          value={editing.shortcut}
          maxLength={32}
          pattern="[a-z0-9][a-z0-9_\-]{0,31}"
          required
          onInput={(e) => onChange({ ...editing, shortcut: e.currentTarget.value })}
        />
      </label>
      <label>
        Text
        <textarea
          rows={3}
          value={editing.text}
          required
          onInput={(e) => onChange({ ...editing, text: e.currentTarget.value })}
        />
      </label>
      <button type="submit" class="button button--small button--primary">
        Save
      </button>{' '}
      <button type="button" class="button button--small" onClick={() => onChange(null)}>
        Cancel
      </button>
    </form>
  );
}
