import type { Rating, RatingAverage, RatingOffer } from '../../src/protocol';
import type { RatingRecord, Store } from './store/types';

/** Satisfaction ratings (issue 15): what the visitor is offered and what agents see. */

/** A rating may be changed for this long after its first score. */
export const RATING_CHANGE_MS = 24 * 60 * 60 * 1000;

/** What the widget is offered, or undefined when the rating can no longer change. */
export function ratingOffer(record: RatingRecord | undefined, now: number): RatingOffer | undefined {
  if (!record) return undefined;
  if (record.firstRatedAt !== undefined && now >= record.firstRatedAt + RATING_CHANGE_MS) return undefined;
  const offer: RatingOffer = {};
  if (record.score !== undefined) offer.score = record.score;
  if (record.comment !== undefined) offer.comment = record.comment;
  if (record.firstRatedAt !== undefined) offer.changeableUntil = record.firstRatedAt + RATING_CHANGE_MS;
  return offer;
}

/** What agents see of a rating, once scored. */
export function agentRating(record: RatingRecord | undefined): Rating | undefined {
  if (record?.score === undefined) return undefined;
  const rating: Rating = { score: record.score, agentName: record.agentName, ratedAt: record.ratedAt ?? 0 };
  if (record.comment !== undefined) rating.comment = record.comment;
  return rating;
}

/** Average score per agent, rounded to two decimals. */
export async function ratingAverages(store: Store): Promise<RatingAverage[]> {
  return (await store.ratingTotals()).map(({ name, total, count }) => ({
    name,
    average: Math.round((total / count) * 100) / 100,
    count,
  }));
}
