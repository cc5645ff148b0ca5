import type { Rating, RatingAverage } from '../../../src/protocol.js';

/** The visitor's rating of the open conversation, under its header. */
export function ConversationRating({ rating }: { rating: Rating | undefined }) {
  if (!rating) return null;
  return (
    <p class="rating muted">
      Rated {rating.score}/5 for {rating.agentName}
      {rating.comment && <> · “{rating.comment}”</>}
    </p>
  );
}

/** Average rating per agent, for the team. */
export function RatingAverages({ averages }: { averages: RatingAverage[] }) {
  if (!averages.length) return null;
  return (
    <ul class="rating-averages muted" aria-label="Satisfaction">
      {averages.map((a) => (
        <li>
          {a.name}: {a.average.toFixed(1)}/5 ({a.count})
        </li>
      ))}
    </ul>
  );
}
