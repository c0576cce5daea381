// Dismissing a finding asks why: the server keeps the reason with the dismissal, and later reviews give it to the
// agents as the team's convention (docs/configuration.md, "Dismissed findings"). The server's code action runs
// its dismiss command directly; the extension routes it through its own command, which asks for the reason first.

/** The server's command, and the extension's that asks for a reason before it runs it. */
export const SERVER_DISMISS = 'manyeyes.dismiss';
export const DISMISS_WITH_REASON = 'manyeyes.dismissFinding';

interface CommandLike { title: string; command: string; arguments?: unknown[] }
interface ActionLike { command?: CommandLike | string }

/** The code actions with every dismissal routed through DISMISS_WITH_REASON (the same arguments). */
export function askingForReasons<T extends ActionLike>(actions: T[]): T[] {
  for (const action of actions) {
    const command = action.command;
    if (command && typeof command === 'object' && command.command === SERVER_DISMISS) {
      action.command = { ...command, command: DISMISS_WITH_REASON };
    }
  }
  return actions;
}

/** The server command's arguments once the user has answered: undefined when they cancelled. */
export function dismissArguments(args: unknown[], reason: string | undefined): unknown[] | undefined {
  if (reason === undefined || args.length < 2) {
    return undefined;
  }
  return [args[0], args[1], reason.trim()];
}
