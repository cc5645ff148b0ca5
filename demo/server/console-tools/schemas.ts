import * as v from 'valibot';
import { unknownCannedFields } from '../../../src/canned-fields';
import { CANNED, SEARCH } from '../../../src/protocol';
import { text as messageText, wellFormed } from '../validate';

// Payloads of the agent console's tools (search, canned replies, visitor context), spread into `agentEvents`.

const conversationId = v.pipe(
  v.string('must be a string'),
  v.regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 characters of A-Z a-z 0-9 _ -'),
);

const query = v.pipe(
  v.string('must be a string'),
  v.transform(wellFormed),
  v.trim(),
  v.minLength(1, 'must not be empty'),
  v.maxLength(SEARCH.maxQueryLength, `at most ${SEARCH.maxQueryLength} characters`),
);

const cannedText = v.pipe(
  messageText,
  v.check((text) => Buffer.byteLength(text) <= CANNED.maxTextBytes, `at most ${CANNED.maxTextBytes} bytes`),
  v.check((text) => unknownCannedFields(text).length === 0, `fields must be one of ${CANNED.fields.join(', ')}`),
);

const cannedId = v.pipe(v.string('must be a string'), v.regex(/^[A-Za-z0-9_-]{1,64}$/, 'is not a reply id'));

export const consoleToolEvents = {
  search: v.object({
    query,
    limit: v.optional(
      v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(SEARCH.maxLimit, `must be <= ${SEARCH.maxLimit}`)),
    ),
  }),
  cannedList: v.optional(v.object({}), {}),
  cannedSave: v.object({
    id: v.optional(cannedId),
    shortcut: v.pipe(
      v.string('must be a string'),
      v.regex(CANNED.shortcut, 'must be 1 to 32 characters of a-z 0-9 _ -, starting with a letter or digit'),
    ),
    text: cannedText,
  }),
  cannedDelete: v.object({ id: cannedId }),
  context: v.object({ conversationId }),
};

/** A canned reply's text as the file and the database accept it; `undefined` when valid, else why not. */
export function cannedProblem(reply: { shortcut: unknown; text: unknown }): string | undefined {
  const result = v.safeParse(consoleToolEvents.cannedSave, reply);
  return result.success ? undefined : `${v.getDotPath(result.issues[0]) ?? 'reply'}: ${result.issues[0].message}`;
}
