import nodemailer from 'nodemailer';
import type { Composed } from './compose';

/** One email to send. `id` becomes its Message-ID, so a resend after a crash is recognisably the same email. */
export interface OutgoingMail extends Composed {
  id: string;
  to: string;
  replyTo?: string;
}

export interface Mailer {
  /** Resolves once the SMTP server accepted the email; rejects with its refusal or the connection error. */
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/**
 * Sends over SMTP with nodemailer (`PARLEY_SMTP_URL`, e.g. `smtp://user:pass@mail.example:587`). File and URL access
 * are disabled in the transport, so no message content can make the gateway read a local file or fetch a URL.
 */
export function createMailer(options: { smtpUrl: string; from: string; domain: string }): Mailer {
  const transport = nodemailer.createTransport({
    url: options.smtpUrl,
    disableFileAccess: true,
    disableUrlAccess: true,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  return {
    async send(mail) {
      await transport.sendMail({
        from: options.from,
        to: mail.to,
        ...(mail.replyTo ? { replyTo: mail.replyTo } : {}),
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        messageId: `<${mail.id}@${options.domain}>`,
        // Auto-responders ("out of office") must not answer a notification (RFC 3834).
        headers: { 'Auto-Submitted': 'auto-generated' },
      });
    },
    close: () => transport.close(),
  };
}
