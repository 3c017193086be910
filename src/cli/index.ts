// The `orgd` command.
import { Command } from 'commander';
import { serverCommand } from './server.js';

export function buildProgram(): Command {
  const program = new Command('orgd')
    .description('orgd: identity and organization control plane, speaking Coder\'s /api/v2')
    .showHelpAfterError();
  program.addCommand(serverCommand());
  return program;
}

export async function main(argv: string[]): Promise<void> {
  await buildProgram().parseAsync(argv);
}
