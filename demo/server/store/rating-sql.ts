// SQL of satisfaction ratings (issue 15) that both stores run, by placeholder, as in sql.ts.

/** Offers a rating for the agent who resolved; a conversation already rated keeps its rating (and its agent). */
export function offerRatingSql(p: { conversationId: string; agentName: string; now: string }): string {
  return `
    INSERT INTO ratings (conversation_id, agent_name, offered_at) VALUES (${p.conversationId}, ${p.agentName}, ${p.now})
    ON CONFLICT (conversation_id) DO UPDATE SET agent_name = excluded.agent_name, offered_at = excluded.offered_at
     WHERE ratings.score IS NULL
    RETURNING ${RATING_COLUMNS}`;
}

/** Scores an offered rating, while the first score is less than `window` old; no row: not offered, or too late. */
export function rateSql(p: { conversationId: string; score: string; comment: string; now: string; openSince: string }) {
  return `
    UPDATE ratings SET score = ${p.score}, comment = ${p.comment}, rated_at = ${p.now},
           first_rated_at = coalesce(first_rated_at, ${p.now})
     WHERE conversation_id = ${p.conversationId} AND (first_rated_at IS NULL OR first_rated_at > ${p.openSince})
    RETURNING ${RATING_COLUMNS}`;
}

export const RATING_COLUMNS = 'agent_name, offered_at, score, comment, first_rated_at, rated_at';

export function ratingSql(conversationId: string): string {
  return `SELECT ${RATING_COLUMNS} FROM ratings WHERE conversation_id = ${conversationId}`;
}

/** Scores per agent, for averages. */
export const RATING_TOTALS_SQL = `
  SELECT agent_name, CAST(sum(score) AS INTEGER) AS total, CAST(count(*) AS INTEGER) AS count
    FROM ratings WHERE score IS NOT NULL GROUP BY agent_name ORDER BY agent_name`;

export interface RatingRow {
  agent_name: string;
  offered_at: string | number;
  score: number | null;
  comment: string | null;
  first_rated_at: string | number | null;
  rated_at: string | number | null;
}
