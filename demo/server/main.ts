import { fileURLToPath } from 'node:url';
import { readConfig } from './config';
import { createGateway, type Gateway } from './gateway';
import { installProcessGuards } from './guards';
import { createLogger, type Logger } from './log';
import { redact } from './redact';

// Replaced by a logger at PARLEY_LOG_LEVEL once the configuration is read.
let logger: Logger = createLogger();
installProcessGuards({
  debug: (msg, fields) => logger.debug(msg, fields),
  info: (msg, fields) => logger.info(msg, fields),
  warn: (msg, fields) => logger.warn(msg, fields),
  error: (msg, fields) => logger.error(msg, fields),
});

function fail(message: string): never {
  console.error(`Parley gateway: ${message}`);
  process.exit(1);
}

async function main(): Promise<void> {
  let config: ReturnType<typeof readConfig>;
  try {
    config = readConfig(process.env);
  } catch (err) {
    fail((err as Error).message);
  }
  logger = createLogger(config.logLevel);

  let gateway: Gateway;
  try {
    gateway = await createGateway({
      dbPath: config.dbPath,
      ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
      ...(config.dbSchema ? { dbSchema: config.dbSchema } : {}),
      ...(config.redisUrl ? { redisUrl: config.redisUrl } : {}),
      ...(config.redisPrefix ? { redisPrefix: config.redisPrefix } : {}),
      dbSync: config.dbSync,
      agents: config.agents,
      origins: config.origins,
      consoleOrigins: config.consoleOrigins,
      siteSecrets: config.siteSecrets,
      dbBusyTimeoutMs: config.dbBusyTimeoutMs,
      limits: config.limits,
      trustProxy: config.trustProxy,
      maxSocketBufferBytes: config.maxSocketBufferBytes,
      ...(config.memoryBudgetBytes ? { memoryBudgetBytes: config.memoryBudgetBytes } : {}),
      emptySessionTtlMs: config.emptySessionTtlMs,
      sessionSweepMs: config.sessionSweepMs,
      ...(config.hours ? { hours: config.hours } : {}),
      ...(config.mail ? { mail: config.mail } : {}),
      // Built to dist/server/main.js; the files it serves are in dist/.
      distDir: fileURLToPath(new URL('..', import.meta.url)),
      logger,
    });
  } catch (err) {
    fail(`cannot start: ${(err as Error).message}`);
  }

  let url: string;
  try {
    url = await gateway.listen(config.port, config.host);
  } catch (err) {
    await gateway.close();
    fail(`cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`);
  }

  // Before the ready lines: a supervisor (or a test) may signal as soon as it reads them.
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    gateway.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error('shutdown failed', { err });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  const signIn = config.generatedToken
    ? `sign in with the token ${config.agents[0]!.token} (set PARLEY_AGENTS=name:token,... to choose your own)`
    : 'sign in with a token from PARLEY_AGENTS';
  console.log(
    `Storage: ${
      gateway.mode.storage === 'postgres'
        ? `PostgreSQL (DATABASE_URL ${redact(config.databaseUrl!)}${config.dbSchema ? `, schema ${config.dbSchema}` : ''})`
        : `SQLite at ${config.dbPath}`
    }; fan-out: ${
      gateway.mode.fanOut === 'redis'
        ? `Redis (REDIS_URL ${redact(config.redisUrl!)}, prefix ${config.redisPrefix ?? 'parley'}), shared with every gateway process`
        : 'this process only'
    }`,
  );
  console.log(`Parley gateway listening on ${url}`);
  if (config.mail) {
    const inbound = gateway.inboundSmtpPort !== undefined ? `; replies by SMTP on port ${gateway.inboundSmtpPort}` : '';
    console.log(
      `Email: follow-ups after ${config.mail.delayMs / 1000} s through ${redact(config.mail.smtpUrl)}${inbound}`,
    );
  }
  console.log(`Agent console: ${url}/agent (${signIn})`);
}

void main();
