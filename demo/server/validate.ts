import * as v from 'valibot';
import { ATTACHMENTS } from '../../src/attachments/wire';
import {
  EMAIL_ADDRESS,
  type ErrorAck,
  LIMITS,
  LIMITS_EMAIL_LENGTH,
  LIMITS_NAME_LENGTH,
  RATING_COMMENT_LENGTH,
  SITE_KEY,
} from '../../src/protocol';

/**
 * Schemas for everything a client sends: handshake `auth` objects and every client→server payload of
 * `src/protocol.ts`. `v.object` copies only the declared keys, so extra keys (`__proto__` included) are dropped,
 * never merged into anything.
 */

const seq = v.pipe(v.number('must be a number'), v.safeInteger('must be an integer'), v.minValue(0, 'must be >= 0'));
const clientId = v.pipe(
  v.string('must be a string'),
  v.regex(/^[A-Za-z0-9_-]{8,64}$/, 'must be 8 to 64 characters of A-Z a-z 0-9 _ -'),
);
const conversationId = v.pipe(
  v.string('must be a string'),
  v.regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 characters of A-Z a-z 0-9 _ -'),
);
/**
 * Lone UTF-16 surrogates cannot be stored as UTF-8: SQLite would keep U+FFFD instead, and the ack and broadcast would
 * then show a text that history does not. Replaced up front, so every reader sees the same text.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
export const wellFormed = (value: string): string => value.replace(LONE_SURROGATE, '\uFFFD');

/** Length in UTF-16 code units, the unit of HTML `maxlength`, so the widget's composer limit agrees. */
export const text = v.pipe(
  v.string('must be a string'),
  v.transform(wellFormed),
  v.trim(),
  v.minLength(1, 'must not be empty'),
  v.maxLength(LIMITS.messageLength, `at most ${LIMITS.messageLength} characters`),
);
/** Attachment ids (issue 16): distinct, at most `ATTACHMENTS.perMessage`; a message with files may have no text. */
const attachmentIds = v.optional(
  v.pipe(
    v.array(v.pipe(v.string('must be a string'), v.regex(/^[A-Za-z0-9-]{1,64}$/, 'must be an attachment id'))),
    v.maxLength(ATTACHMENTS.perMessage, `at most ${ATTACHMENTS.perMessage} files`),
    v.check((ids) => new Set(ids).size === ids.length, 'must not repeat an id'),
  ),
);
const sendText = v.pipe(
  v.string('must be a string'),
  v.transform(wellFormed),
  v.trim(),
  v.maxLength(LIMITS.messageLength, `at most ${LIMITS.messageLength} characters`),
);
const withFiles = <T extends v.ObjectEntries>(entries: T) =>
  v.pipe(
    v.object({ ...entries, text: sendText, attachments: attachmentIds }),
    v.check((p) => (p.text?.length ?? 0) > 0 || (p.attachments?.length ?? 0) > 0, 'text: must not be empty'),
  );
const page = v.object({
  url: v.pipe(
    v.string('must be a string'),
    v.maxLength(2048, 'at most 2048 characters'),
    // An agent console renders this as a link: only web URLs, never `javascript:`.
    v.check((url) => /^https?:\/\//i.test(url) && URL.canParse(url), 'must be an http(s) URL'),
  ),
  title: v.pipe(
    v.string('must be a string'),
    v.transform((title) => wellFormed(title.slice(0, 300))),
  ),
});
const locale = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,35}$/, 'must be a language tag'));
const typing = v.boolean('must be a boolean');

export const VisitorAuthSchema = v.object({
  v: v.pipe(v.number('must be a number'), v.safeInteger('must be an integer'), v.minValue(1, 'must be >= 1')),
  site: v.pipe(
    v.string('must be a string'),
    v.transform((site) => site || 'default'),
    v.regex(SITE_KEY, 'must be 1 to 64 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit'),
  ),
  session: v.nullish(v.pipe(v.string('must be a string'), v.minLength(1), v.maxLength(256, 'is too long'))),
  lastSeq: v.nullish(seq),
  // Descriptive details must not cost the visitor their connection: a bad one is dropped.
  page: v.fallback(v.optional(page), undefined),
  locale: v.fallback(v.optional(locale), undefined),
  // Checked by `identity.ts`, not here: a bad user token leaves the session anonymous but never refuses it.
  userToken: v.optional(v.unknown()),
});

export const AgentAuthSchema = v.object({
  token: v.pipe(v.string('must be a string'), v.minLength(1, 'must not be empty'), v.maxLength(1024)),
});

export const visitorEvents = {
  send: withFiles({ clientId }),
  history: v.object({ afterSeq: seq }),
  typing: v.object({ typing }),
  read: v.object({ seq }),
  page,
  // No field: the session to end is the socket's own. The widget may omit the payload.
  end: v.optional(v.object({}), {}),
  transcript: v.optional(v.object({}), {}),
  rate: v.object({
    score: v.pipe(
      v.number('must be a number'),
      v.integer('must be 1 to 5'),
      v.minValue(1, 'must be 1 to 5'),
      v.maxValue(5, 'must be 1 to 5'),
    ),
    comment: v.optional(
      v.pipe(
        v.string('must be a string'),
        v.trim(),
        v.maxLength(RATING_COMMENT_LENGTH, `must be at most ${RATING_COMMENT_LENGTH} characters`),
      ),
    ),
  }),
  email: v.object({
    email: v.pipe(
      v.string('must be a string'),
      v.trim(),
      v.maxLength(LIMITS_EMAIL_LENGTH, `must be at most ${LIMITS_EMAIL_LENGTH} characters`),
      v.regex(EMAIL_ADDRESS, 'must be an email address like name@example.com'),
    ),
    name: v.optional(
      v.pipe(
        v.string('must be a string'),
        v.trim(),
        v.nonEmpty('must not be empty'),
        v.maxLength(LIMITS_NAME_LENGTH, `must be at most ${LIMITS_NAME_LENGTH} characters`),
      ),
    ),
    consent: v.optional(v.boolean('must be true or false')),
  }),
};

const status = v.picklist(['open', 'resolved'], 'must be "open" or "resolved"');

export const agentEvents = {
  // The console may call `list` without a payload.
  list: v.optional(
    v.object({
      status: v.optional(v.picklist(['open', 'resolved', 'all'], 'must be "open", "resolved" or "all"')),
      limit: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(500, 'must be <= 500'))),
      view: v.optional(v.picklist(['mine', 'unassigned', 'all'], 'must be "mine", "unassigned" or "all"')),
    }),
    {},
  ),
  open: v.object({ conversationId, afterSeq: v.optional(seq) }),
  send: withFiles({ conversationId, clientId }),
  typing: v.object({ conversationId, typing }),
  read: v.object({ conversationId, seq }),
  setStatus: v.object({ conversationId, status }),
  presence: v.object({ status: v.picklist(['online', 'away'], 'must be "online" or "away"') }),
  ratings: v.optional(v.object({}), {}),
  askEmail: v.object({ conversationId }),
  // Ownership and internal notes (issue 14). Whether the agent exists is the handler's check (`unknown_agent`).
  assign: v.object({
    conversationId,
    agent: v.nullable(v.pipe(v.string('must be a string or null'), v.minLength(1), v.maxLength(200, 'is too long'))),
  }),
  note: v.object({ conversationId, clientId, text }),
};

export type Parsed<T> = { ok: true; value: T } | ErrorAck;

/** Validates `input`; a failure becomes the error ack to send back (`message_too_long` for an over-long text). */
export function parse<S extends v.GenericSchema>(schema: S, input: unknown): Parsed<v.InferOutput<S>> {
  const result = v.safeParse(schema, input);
  if (result.success) return { ok: true, value: result.output };
  return toErrorAck(result.issues);
}

export function toErrorAck(issues: readonly [v.BaseIssue<unknown>, ...v.BaseIssue<unknown>[]]): ErrorAck {
  const first = issues[0];
  const path = v.getDotPath(first);
  const missing = first.kind === 'schema' && first.received === 'undefined';
  const message = `${path ? path.slice(0, 64) : 'payload'}: ${missing && path ? 'is required' : withoutInput(first.message)}`;
  const tooLong = issues.every((issue) => issue.type === 'max_length' && v.getDotPath(issue) === 'text');
  return { ok: false, code: tooLong ? 'message_too_long' : 'invalid_payload', message };
}

/**
 * Valibot's default messages quote the value received ("Expected number but received "xxxx…""): an error must not
 * echo the client's input back, however large. Keeps "Invalid type: Expected number".
 */
function withoutInput(message: string): string {
  const short = message.replace(/ but received .*$/s, '').replace(/^(Invalid [\w ]+): Received .*$/s, '$1');
  return short.length > 200 ? `${short.slice(0, 200)}…` : short;
}
