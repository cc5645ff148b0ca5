import { useState } from 'preact/hooks';
import type { AgentPresence, ConversationSummary } from '../../../src/protocol.js';
import type { ActionResult } from '../controller.js';

interface Props {
  c: ConversationSummary;
  agents: AgentPresence[];
  me: string | null;
  onAssign(agent: string | null): Promise<ActionResult>;
}

/** The agents to offer, plus the current owner should it no longer be configured (so the select shows it). */
function names(agents: AgentPresence[], assignee: string | undefined): string[] {
  const all = agents.map((a) => a.name);
  return assignee !== undefined && !all.includes(assignee) ? [...all, assignee] : all;
}

/** Who owns the conversation: any configured agent (oneself included) or nobody. */
export function AssignControl({ c, agents, me, onAssign }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const id = `assign-${c.id}`;
  const change = async (value: string) => {
    setBusy(true);
    setError(null);
    const result = await onAssign(value === '' ? null : value);
    setBusy(false);
    if (!result.ok) setError(`${result.code}: ${result.message}`);
  };
  return (
    <div class="assign">
      <label for={id}>Assign</label>
      <select
        id={id}
        class="assign__select"
        value={c.assignee ?? ''}
        disabled={busy}
        onChange={(e) => void change(e.currentTarget.value)}
      >
        <option value="">Nobody</option>
        {names(agents, c.assignee).map((name) => (
          <option key={name} value={name}>
            {name === me ? `${name} (you)` : name}
          </option>
        ))}
      </select>
      {error && (
        <span class="alert" role="alert">
          Not assigned ({error}).
        </span>
      )}
    </div>
  );
}
