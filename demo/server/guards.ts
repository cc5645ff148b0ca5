import type { Logger } from './log';

/**
 * The gateway must never die of one bad input: an exception nobody caught, or a promise rejection nobody handled, is
 * logged with its context (where it came from, the error and its stack) and the process keeps serving.
 */
export function installProcessGuards(logger: Logger, target: NodeJS.Process = process): void {
  target.on('uncaughtException', (err, origin) => logger.error('uncaught exception', { origin, err }));
  target.on('unhandledRejection', (reason) => logger.error('unhandled rejection', { err: reason }));
}
