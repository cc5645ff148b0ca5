import { fileURLToPath } from 'node:url';
import { persistedAgentToken } from './agent-token';
import { generateToken, readConfig } from './config';
import { createGateway, type Gateway, type GatewayOptions } from './gateway';
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

type Config = ReturnType<typeof readConfig>;

/** The environment's configuration, with the generated agent token kept across restarts; exits on a bad variable. */
function loadConfig(): Config {
  let config: Config;
  try {
    config = readConfig(process.env);
  } catch (err) {
    fail((err as Error).message);
  }
  logger = createLogger(config.logLevel);
  if (config.generatedToken) {
    try {
      config.agents = [{ name: 'Agent', token: persistedAgentToken(config.agentTokenFile, generateToken) }];
    } catch (err) {
      fail((err as Error).message);
    }
  }
  return config;
}

/** The gateway's options from the configuration (optional ones only when set). */
function gatewayOptions(config: Config): GatewayOptions {
  return {
    dbPath: config.dbPath,
    ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
    ...(config.dbSchema ? { dbSchema: config.dbSchema } : {}),
    ...(config.redisUrl ? { redisUrl: config.redisUrl } : {}),
    ...(config.redisPrefix ? { redisPrefix: config.redisPrefix } : {}),
    dbSync: config.dbSync,
    agents: config.agents,
    ...(config.cannedReplies ? { cannedReplies: config.cannedReplies } : {}),
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
    assignment: config.assignment,
    ...config.attachments,
    ...(config.hours ? { hours: config.hours } : {}),
    ...(config.prechat ? { prechat: config.prechat } : {}),
    ...(config.mail ? { mail: config.mail } : {}),
    // Built to dist/server/main.js; the files it serves are in dist/.
    distDir: fileURLToPath(new URL('..', import.meta.url)),
    logger,
  };
}

/** SIGTERM and SIGINT close the gateway once, then exit (1 if closing failed). */
function stopOnSignals(gateway: Gateway): void {
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
}

/** The ready lines: storage and fan-out (URLs without their passwords), the gateway's URL, how to sign in. */
function printReady(config: Config, gateway: Gateway, url: string): void {
  const signIn = config.generatedToken
    ? `sign in with the token ${config.agents[0]!.token} (kept in ${config.agentTokenFile}; set PARLEY_AGENTS=name:token,... to choose your own)`
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

async function main(): Promise<void> {
  const config = loadConfig();
  let gateway: Gateway;
  try {
    gateway = await createGateway(gatewayOptions(config));
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
  stopOnSignals(gateway);
  printReady(config, gateway, url);
}

void main();
