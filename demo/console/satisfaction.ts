import type { AgentLink } from './agent-link.js';

/**
 * Satisfaction ratings (issue 15): the per-agent averages, fetched on every connection and after each new rating, and
 * the rating of a conversation, live (`rating`) or read when a resolved conversation is selected.
 */
export function listenToRatings(link: AgentLink): { load(conversationId: string): void } {
  const averages = () => {
    link.socket
      .timeout(10_000)
      .emitWithAck('ratings', {})
      .then(
        (ack) => {
          if (ack.ok) link.update((s) => ({ ...s, ratingAverages: ack.agents }));
        },
        () => {},
      );
  };
  link.listen('connect', averages);
  link.listen('rating', ({ conversationId, rating }) => {
    link.update((s) => ({ ...s, ratings: { ...s.ratings, [conversationId]: rating } }));
    averages();
  });
  return {
    // An `open` past the last seq returns the summary and the rating without any message.
    load(conversationId) {
      const c = link.state.get().conversations[conversationId];
      if (c?.status !== 'resolved' || !link.socket.connected) return;
      link.socket
        .timeout(10_000)
        .emitWithAck('open', { conversationId, afterSeq: c.lastSeq })
        .then(
          (ack) => {
            const { rating } = ack.ok ? ack : {};
            if (rating) link.update((s) => ({ ...s, ratings: { ...s.ratings, [conversationId]: rating } }));
          },
          () => {},
        );
    },
  };
}
