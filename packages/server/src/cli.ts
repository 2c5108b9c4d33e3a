import { parseArgs } from 'node:util';
import { grantAdmin } from './modules/identity/accounts/grant-admin.js';
import type { IdentityTables } from './modules/identity/identity-tables.js';
import { MODULES } from './modules/index.js';
import { type Config, ConfigError, ConfigSchema, loadConfig } from './platform/config/config.js';
import { createLogger } from './platform/logging/logger.js';
import { openAdapters } from './platform/adapters.js';
import { createMetricsRegistry } from './platform/metrics/metrics.js';
import { platformMigrations } from './platform/outbox/outbox-tables.js';
import { runWorkers } from './platform/cluster/run-workers.js';
import { ROLES, parseRoles } from './roles.js';
import { startServer } from './server.js';

type Command = (args: readonly string[]) => Promise<number>;

/** sysexits.h EX_CONFIG: the configuration, not the code, is wrong. */
const EX_CONFIG = 78;

const USAGE = `kaif — Kaif Lake messaging platform

  kaif start [--role r1,r2]   run the given roles (default: all) in this process
  kaif migrate                apply database migrations and exit
  kaif roles                  list the roles and what each opens
  kaif config                 list every environment variable and its default
  kaif admin grant <username> make an account a global admin
`;

function configOrExit(): Config {
  const result = loadConfig(process.env);
  if (!result.ok) {
    for (const line of result.errors) process.stderr.write(`${line}\n`);
    process.exit(EX_CONFIG);
  }
  return result.config;
}

const start: Command = async (args) => {
  const { values } = parseArgs({ args: [...args], options: { role: { type: 'string', short: 'r' } } });
  const parsed = parseRoles(values.role);
  if (!parsed.ok) {
    process.stderr.write(`kaif: ${parsed.error}\n`);
    return 64;
  }
  const config = configOrExit();
  const logger = createLogger(config.LOG_LEVEL);
  const clustered = await runWorkers({ config, logger });
  if (clustered !== null) return clustered;
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({ config, roles: parsed.roles, logger, modules: MODULES });
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const line of error.lines) process.stderr.write(`${line}\n`);
      return EX_CONFIG;
    }
    logger.fatal({ err: error }, 'kaif failed to start');
    logger.flush();
    return 1;
  }
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      const deadline = setTimeout(() => {
        logger.error('shutdown took too long; exiting');
        logger.flush();
        process.exit(1);
      }, config.KAIF_SHUTDOWN_TIMEOUT_MS + 1500);
      deadline.unref();
      void server.stop().then(resolve);
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
  logger.flush();
  return 0;
};

const migrate: Command = async () => {
  const config = configOrExit();
  const logger = createLogger(config.LOG_LEVEL);
  const adapters = await openAdapters(config, logger, createMetricsRegistry({}));
  try {
    await adapters.db.migrate([platformMigrations, ...MODULES.flatMap((module) => module.migrations ?? [])]);
    logger.info('migrations applied');
    return 0;
  } finally {
    await adapters.close();
  }
};

const roles: Command = async () => {
  const width = Math.max(...Object.keys(ROLES).map((name) => name.length));
  process.stdout.write(`${'all'.padEnd(width)}  every role below (the default)\n`);
  for (const [name, description] of Object.entries(ROLES)) process.stdout.write(`${name.padEnd(width)}  ${description}\n`);
  return 0;
};

const config: Command = async () => {
  for (const [name, schema] of Object.entries(ConfigSchema.properties)) {
    const fallback = (schema as { default?: unknown }).default;
    process.stdout.write(`${name}\t${fallback === undefined ? '(unset)' : String(fallback)}\t${schema.description ?? ''}\n`);
  }
  return 0;
};

const admin: Command = async ([action, username]) => {
  if (action !== 'grant' || !username) {
    process.stderr.write('usage: kaif admin grant <username>\n');
    return 64;
  }
  const config = configOrExit();
  const logger = createLogger(config.LOG_LEVEL);
  const adapters = await openAdapters(config, logger, createMetricsRegistry({}));
  try {
    await adapters.db.migrate([platformMigrations, ...MODULES.flatMap((module) => module.migrations ?? [])]);
    if (!(await grantAdmin(adapters.db.kysely<IdentityTables>(), username))) {
      process.stderr.write(`kaif: no user named ${username}\n`);
      return 1;
    }
    process.stdout.write(`${username} is now an admin (their next token refresh carries the role)\n`);
    return 0;
  } finally {
    await adapters.close();
  }
};

export const COMMANDS: Record<string, Command> = { start, migrate, roles, config, admin };

const [name, ...rest] = process.argv.slice(2);
const command = name ? COMMANDS[name] : undefined;
if (!command) {
  process.stdout.write(USAGE);
  process.exitCode = name && name !== 'help' && name !== '--help' ? 64 : 0;
} else {
  process.exitCode = await command(rest);
}
