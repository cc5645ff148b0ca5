import type { EventEmitter } from 'node:events';
import type * as v from 'valibot';
import type { Ack, AckFn, ErrorAck, ErrorCode } from '../../src/protocol';
import type { GatewayContext } from './handler-context';
import { AttachmentClaimError, ConflictError, NotFoundError, StoreError } from './store/types';
import { parse } from './validate';

/** A refusal with a protocol error code, thrown by a handler. */
export class HandlerError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The data of a successful ack of event `F`, derived from its `AckFn` parameter in `src/protocol.ts`. */
type AckData<F> = F extends (payload: never, ack: infer A) => void
  ? NonNullable<A> extends AckFn<infer T>
    ? T
    : never
  : never;

type Schemas<Events> = { [K in keyof Events]: v.GenericSchema };

/** Runs `fn` after the ack has been sent: broadcasts go out after the sender heard back. */
export type After = (fn: () => unknown) => void;

export type Handlers<Events, S extends Schemas<Events>> = {
  [K in keyof Events & keyof S]: (payload: v.InferOutput<S[K]>, after: After) => Promise<AckData<Events[K]>>;
};

type Room = ErrorAck | (() => void);

export interface RegisterOptions {
  /** Rate limits: returns the refusal to send when the socket must slow down, otherwise undefined. */
  limit?: () => ErrorAck | undefined;
  /**
   * Room in the connection's send buffer for the reply of `event`, taken before the handler runs (see
   * `replyRoom`), possibly after waiting for its turn: the refusal to send when there is none, otherwise a function
   * giving the room back once the reply is queued.
   */
  room?: (event: string) => Room | Promise<Room>;
}

/**
 * Wires `handlers` to `socket`. For every event: rate limit, validate, run, ack. The ack is the last argument only
 * if it is a function; a handler failure becomes an error ack and a log line, never an exception. Events not in
 * `schemas` are answered with `unknown_event`.
 */
export function register<Events, S extends Schemas<Events>>(
  ctx: Pick<GatewayContext, 'logger' | 'track'>,
  socket: { id: string; onAny(listener: (...args: unknown[]) => void): unknown },
  schemas: S,
  handlers: Handlers<Events, S>,
  options: RegisterOptions = {},
): void {
  // Socket.IO's typed `on` cannot accept a name from a mapped type; the runtime object is a plain EventEmitter.
  const emitter = socket as unknown as EventEmitter;
  const known = new Set(Object.keys(schemas));

  const limit = options.limit ?? (() => undefined);
  const room = options.room ?? (() => () => {});

  for (const event of known) {
    const schema = schemas[event as keyof S];
    const handler = handlers[event as keyof Events & keyof S] as (payload: unknown, after: After) => Promise<object>;
    emitter.on(event, (...args: unknown[]) => {
      const ack = takeAck(args);
      try {
        const refused = limit();
        if (refused) return reply(ack, refused);
        const parsed = parse(schema, args[0]);
        if (!parsed.ok) return reply(ack, parsed);
        const run = (reserved: Room) => {
          if (typeof reserved !== 'function') return reply(ack, reserved);
          // The reply is counted in the send buffer once queued: only then is its room given back.
          const answer = (value: Ack) => {
            try {
              reply(ack, value);
            } finally {
              reserved();
            }
          };
          const queued: (() => unknown)[] = [];
          // A handler that throws instead of rejecting must still answer, and give its room back.
          const work = new Promise<object>((resolve) => resolve(handler(parsed.value, (fn) => queued.push(fn))));
          return ctx.track(work).then(
            (data) => {
              answer({ ...data, ok: true });
              for (const fn of queued) fn();
            },
            (err: unknown) => answer(failure(ctx, socket.id, event, err)),
          );
        };
        const reserved = room(event);
        (reserved instanceof Promise ? reserved.then(run) : Promise.resolve(run(reserved))).catch((err: unknown) =>
          ctx.logger.error('handler follow-up failed', { event, socket: socket.id, err }),
        );
      } catch (err) {
        // Nothing above should throw; if something does, it must cost this event, never the connection or process.
        reply(ack, failure(ctx, socket.id, event, err));
      }
    });
  }

  socket.onAny((event: unknown, ...args: unknown[]) => {
    if (typeof event === 'string' && known.has(event)) return;
    const ack = takeAck(args);
    const refused = limit();
    if (refused) return reply(ack, refused);
    reply(ack, { ok: false, code: 'unknown_event', message: `unknown event "${String(event).slice(0, 64)}"` });
  });
}

function takeAck(args: unknown[]): ((ack: Ack) => void) | undefined {
  const last = args.at(-1);
  if (typeof last !== 'function') return undefined;
  args.pop();
  return last as (ack: Ack) => void;
}

function reply(ack: ((ack: Ack) => void) | undefined, value: Ack): void {
  if (ack) ack(value);
}

function failure(ctx: Pick<GatewayContext, 'logger'>, socket: string, event: string, err: unknown): ErrorAck {
  if (err instanceof HandlerError) return { ok: false, code: err.code, message: err.message };
  if (err instanceof AttachmentClaimError) return { ok: false, code: 'attachment_invalid', message: err.message };
  if (err instanceof NotFoundError) return { ok: false, code: 'not_found', message: err.message };
  if (err instanceof ConflictError) return { ok: false, code: 'invalid_payload', message: err.message };
  if (err instanceof StoreError) {
    ctx.logger.error('storage failed', { event, socket, err });
    return { ok: false, code: 'storage_error', message: 'could not store; retry later' };
  }
  ctx.logger.error('handler failed', { event, socket, err });
  return { ok: false, code: 'internal', message: 'internal error' };
}
