import type { CannedReply, ConversationSummary } from '../../../src/protocol.js';
import type { ConsoleTools } from '../console-tools.js';
import { CannedManager } from './canned-manager.js';
import { VisitorContextPanel } from './visitor-context.js';
import { VisitorDetails } from './visitor-details.js';

interface Props {
  c: ConversationSummary;
  tools: ConsoleTools;
  canned: readonly CannedReply[];
  now: number;
  onOpen(conversationId: string): void;
}

/** The right column: the visitor, their history (earlier conversations, pages), and the shared canned replies. */
export function DetailsPane({ c, tools, canned, now, onOpen }: Props) {
  return (
    <>
      <VisitorDetails c={c} />
      <VisitorContextPanel c={c} tools={tools} now={now} onOpen={onOpen} />
      <CannedManager tools={tools} replies={canned} />
    </>
  );
}
