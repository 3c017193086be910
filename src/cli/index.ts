// The `orgd` command: `server` runs the deployment; the other commands talk to one through the SDK
// with the session `orgd login` stored.
import { Command } from 'commander';
import { addGlobalOptions, describeError } from './context.js';
import { loginCommand, logoutCommand, whoamiCommand } from './login.js';
import { usersCommand } from './users.js';
import { organizationsCommand } from './organizations.js';
import { tokensCommand } from './tokens.js';

export function buildProgram(): Command {
  const program = addGlobalOptions(
    new Command('orgd').description('orgd: identity and organization control plane, speaking Coder\'s /api/v2').showHelpAfterError(),
  );
  program.addCommand(lazyCommand('server', 'Start the orgd API server', async () => (await import('./server.js')).serverCommand()));
  program.addCommand(loginCommand());
  program.addCommand(logoutCommand());
  program.addCommand(whoamiCommand());
  program.addCommand(usersCommand());
  program.addCommand(organizationsCommand());
  program.addCommand(tokensCommand());
  program.addCommand(lazyCommand('audit', 'Verify or export the audit log', async () => (await import('./audit.js')).auditCommand()));
  return program;
}

/**
 * A command whose module is imported only when it runs, so that client commands (`orgd users
 * list`) do not load the server, the database driver and the embedded PostgreSQL at every start.
 * Its arguments, options and `--help` are handed to the real command as they were typed.
 */
function lazyCommand(name: string, description: string, load: () => Promise<Command>): Command {
  return new Command(name)
    .description(description)
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .action(async (args: string[]) => {
      const real = await load();
      real.name(`orgd ${name}`);
      await real.parseAsync(args, { from: 'user' });
    });
}

/** Runs the CLI; a failure prints the server's message, detail and validations, and exits 1. */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    process.stderr.write(`error: ${describeError(err)}\n`);
    process.exitCode = 1;
  }
}
