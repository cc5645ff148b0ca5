import type { Logger } from './log';

/**
 * What the gateway does when an exception reaches the event loop uncaught: log it with its context (where it came
 * from, the error and its stack), then exit with status 1 for a supervisor (systemd, Docker, Kubernetes) to restart
 * it. After an uncaught exception Node documents the process state as undefined (a handler may have stopped halfway
 * through a change), so serving on could corrupt what later requests see; exiting costs little, because a message
 * is durable before its ack and every client reconnects and catches up by sequence number.
 *
 * A promise rejection nobody handled takes the same path: Node's default since v15 (`--unhandled-rejections=throw`)
 * raises it as an uncaught exception, which arrives here with `origin: 'unhandledRejection'`. No separate handler is
 * installed, since one would silence that default.
 *
 * No graceful shutdown is attempted: it would run through the same possibly broken state and could hang, and nothing
 * needs it. The operating system closes every socket (clients reconnect to the restarted process), SQLite recovers
 * its write-ahead log on the next open, PostgreSQL rolls back what was not committed, and with Redis the process's
 * presence expires after three missed heartbeats. The logger writes synchronously (see `createLogger`), so the line
 * is on stderr before the exit.
 */
export function installProcessGuards(logger: Logger, target: NodeJS.Process = process): void {
  target.on('uncaughtException', (err, origin) => {
    try {
      logger.error('uncaught exception', { origin, err, exiting: true });
    } finally {
      target.exit(1);
    }
  });
}
