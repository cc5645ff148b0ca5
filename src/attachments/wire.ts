/** The attachment upload's wire names (re-exported by protocol.ts). Kept apart from `LIMITS`: the widget's core never carries it. */
export const ATTACHMENTS = {
  /** Files one message may carry. */
  perMessage: 10,
  /** The upload path on the gateway. */
  uploadPath: '/uploads',
  sessionHeader: 'Parley-Session',
  agentHeader: 'Parley-Agent',
  conversationHeader: 'Parley-Conversation',
} as const;
