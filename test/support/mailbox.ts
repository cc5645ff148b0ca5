import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** A real SMTP server on loopback standing in for the visitor's mailbox: what the gateway sends arrives here. */
export interface Mailbox {
  /** `smtp://127.0.0.1:<port>` for `PARLEY_SMTP_URL`. */
  url: string;
  port: number;
  received: ParsedMail[];
  /** Resolves with the first email (already received or to come) matching `accept`, or rejects after `ms`. */
  next(accept?: (mail: ParsedMail) => boolean, ms?: number): Promise<ParsedMail>;
  /** While true, every recipient is refused with a temporary error (451), as a server in trouble does. */
  refusing: boolean;
  /** Recipients refused so far. */
  refusals: number;
  close(): Promise<void>;
}

export async function startMailbox(port = 0): Promise<Mailbox> {
  const waiters = new Set<() => void>();
  const box: Mailbox = {
    url: '',
    port: 0,
    received: [],
    refusing: false,
    refusals: 0,
    next(accept = () => true, ms = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = box.received.find(accept);
          if (!found) return false;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(found);
          return true;
        };
        const waiter = () => void check();
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching email within ${ms} ms (received ${box.received.length})`));
        }, ms);
        if (!check()) waiters.add(waiter);
      });
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onRcptTo: (_address, _session, callback) => {
      if (!box.refusing) return callback();
      box.refusals++;
      callback(Object.assign(new Error('mailbox busy, try later'), { responseCode: 451 }));
    },
    onData: (stream, _session, callback) => {
      simpleParser(stream).then(
        (mail) => {
          box.received.push(mail);
          for (const waiter of [...waiters]) waiter();
          callback();
        },
        (err: Error) => callback(err),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  const address = server.server.address();
  box.port = typeof address === 'object' && address ? address.port : port;
  box.url = `smtp://127.0.0.1:${box.port}`;
  return box;
}

/** Sends a raw email to an SMTP server on loopback; resolves with the server's answer or rejects with its refusal. */
export async function sendRaw(port: number, input: { from: string; to: string; raw: string }): Promise<void> {
  const nodemailer = (await import('nodemailer')).default;
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  try {
    await transport.sendMail({ envelope: { from: input.from, to: [input.to] }, raw: input.raw });
  } finally {
    transport.close();
  }
}
