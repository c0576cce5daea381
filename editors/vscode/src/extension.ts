// manyeyes for VS Code: starts the manyeyes language server, adds the review commands, the Agent Board view and
// a status bar item. Reviews, diagnostics, hovers and quick fixes all come from the server (docs/lsp.md).
import * as vscode from 'vscode';
import {
  ExecuteCommandRequest, LanguageClient, LanguageClientOptions, ServerOptions,
} from 'vscode-languageclient/node';

import { BoardModel, BoardNotification, Card, VerificationCard } from './board';
import { ConcernsAnswer, refactorGoals } from './concerns';
import { askingForReasons, DISMISS_WITH_REASON, dismissArguments, SERVER_DISMISS } from './dismiss';
import { documentSelector } from './documents';
import { serverSettings } from './settings';

const SECRET_KEY = 'manyeyes.apiKey';
const KEY_ENV = 'MANYEYES_VSCODE_API_KEY';

let client: LanguageClient | undefined;
const board = new BoardModel();

/** A card of the board: one agent, with its state as an icon; running or queued agents can be cancelled. */
class AgentItem extends vscode.TreeItem {
  constructor(readonly card: Card) {
    super(card.label);
    this.description = card.detail;
    this.tooltip = `${card.label}\n${card.detail}`;
    this.iconPath = new vscode.ThemeIcon(card.icon);
    this.contextValue = card.cancellable ? 'agent.cancellable' : 'agent';
  }
}

/** The verification step; it opens to the findings it rejected. */
class VerificationItem extends vscode.TreeItem {
  constructor(readonly card: VerificationCard) {
    super(card.label, card.rejected.length
      ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
    // A new id once there are rejections: the view keeps an item's expanded state by id, and the running card
    // (with nothing under it) must not leave the finished one collapsed.
    this.id = `${card.reviewId}/verification/${card.rejected.length}`;
    this.description = card.detail;
    this.tooltip = `${card.label}\n${card.detail}`;
    this.iconPath = new vscode.ThemeIcon(card.icon);
    this.contextValue = 'verification';
  }

  rejectedItems(): vscode.TreeItem[] {
    return this.card.rejected.map((rejected) => {
      const item = new vscode.TreeItem(rejected.label);
      item.description = rejected.detail;
      item.tooltip = `${rejected.label}\n${rejected.detail}`;
      item.iconPath = new vscode.ThemeIcon('circle-slash');
      const at = new vscode.Range(rejected.line, 0, rejected.line, 0);
      item.command = {
        title: 'Open', command: 'vscode.open', arguments: [vscode.Uri.parse(rejected.uri), { selection: at }],
      };
      return item;
    });
  }
}

class BoardView implements vscode.TreeDataProvider<vscode.TreeItem> {
  private changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  refresh(): void {
    this.changed.fire();
  }

  getTreeItem(item: vscode.TreeItem): vscode.TreeItem {
    return item;
  }

  getChildren(element?: vscode.TreeItem): vscode.TreeItem[] {
    if (element) {
      return element instanceof VerificationItem ? element.rejectedItems() : [];
    }
    const summary = board.summary();
    if (!summary) {
      return [new vscode.TreeItem('No review yet: run "manyeyes: Review File"')];
    }
    const verification = board.verificationCard();
    return [
      new vscode.TreeItem(summary),
      ...board.cards().map((card) => new AgentItem(card)),
      ...(verification ? [new VerificationItem(verification)] : []),
    ];
  }
}

function serverCommand(): { command: string; args: string[] } {
  const config = vscode.workspace.getConfiguration('manyeyes.server');
  const level = ['--log-level', vscode.workspace.getConfiguration('manyeyes').get<string>('logLevel') ?? 'warning'];
  const explicit = config.get<string[]>('command') ?? [];
  if (explicit.length) {
    return { command: explicit[0], args: [...explicit.slice(1), ...level] };
  }
  const python = config.get<string>('python');
  return python
    ? { command: python, args: ['-m', 'manyeyes', 'lsp', ...level] }
    : { command: 'manyeyes', args: ['lsp', ...level] };
}

/** The server's log and the protocol trace (manyeyes.trace.server), in one channel with log levels. */
const log = vscode.window.createOutputChannel('manyeyes', { log: true });

async function startClient(context: vscode.ExtensionContext, view: BoardView, status: vscode.LanguageStatusItem) {
  const secret = await context.secrets.get(SECRET_KEY);
  const { command, args } = serverCommand();
  const env = { ...process.env, ...(secret ? { [KEY_ENV]: secret } : {}) };
  const serverOptions: ServerOptions = { command, args, options: { env } };
  const settings = serverSettings(vscode.workspace.getConfiguration('manyeyes'), secret ? KEY_ENV : undefined);
  const clientOptions: LanguageClientOptions = {
    documentSelector: documentSelector(),
    outputChannel: log,
    traceOutputChannel: log,
    initializationOptions: { settings, trusted: vscode.workspace.isTrusted },
    synchronize: { configurationSection: 'manyeyes' },
    middleware: {
      provideCodeActions: async (document, range, context, token, next) => {
        const actions = await next(document, range, context, token);
        return actions ? askingForReasons(actions) : actions;
      },
      workspace: {
        // The server gets its settings, not the extension's own (how to start it) nor a key that is not set; each
        // item as its scope (a workspace folder) has them, so every folder reviews with its own.
        configuration: async (params, token, next) => {
          const answers = await next(params, token);
          return Array.isArray(answers)
            ? params.items.map((item) => serverSettings(
              vscode.workspace.getConfiguration('manyeyes', item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined),
              secret ? KEY_ENV : undefined))
            : answers;
        },
      },
    },
  };
  client = new LanguageClient('manyeyes', 'manyeyes', serverOptions, clientOptions);
  client.onNotification('manyeyes/board', (notification: BoardNotification) => {
    board.update(notification);
    view.refresh();
    showStatus(status);
  });
  try {
    await client.start();
    status.detail = `server running (${command} ${args.join(' ')})`;
  } catch (error) {
    client = undefined;
    status.detail = 'server not running: see "manyeyes: Show Logs"';
    log.error(`could not start the server with "${command} ${args.join(' ')}": ${error}`);
    const open = 'Open Settings';
    const choice = await vscode.window.showErrorMessage(
      `manyeyes: could not start the server with "${command} ${args.join(' ')}" (${error}). Install it with `
      + '`pip install manyeyes` or set manyeyes.server.command; see docs/editors.md.', open);
    if (choice === open) {
      void vscode.commands.executeCommand('workbench.action.openSettings', 'manyeyes.server');
    }
  }
}

async function execute(command: string, args: unknown[]): Promise<unknown> {
  if (!client) {
    void vscode.window.showErrorMessage('manyeyes: the server is not running');
    return undefined;
  }
  try {
    return await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
  } catch (error) {
    void vscode.window.showErrorMessage(`manyeyes: ${(error as Error).message ?? error}`);
    return undefined;
  }
}

function editorArgs(): { uri: string; range: object } | undefined {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showWarningMessage('manyeyes: open a file first');
    return undefined;
  }
  const selection = editor.selection;
  const range = {
    start: { line: selection.start.line, character: selection.start.character },
    end: { line: selection.end.line, character: selection.end.character },
  };
  return { uri: editor.document.uri.toString(), range };
}

/** The folder whose git changes to review: the active file's, the only one, or the one the user picks. */
async function changesFolder(): Promise<vscode.WorkspaceFolder | undefined> {
  const active = vscode.window.activeTextEditor?.document.uri;
  const folders = vscode.workspace.workspaceFolders ?? [];
  const holding = active && vscode.workspace.getWorkspaceFolder(active);
  if (holding) {
    return holding;
  }
  if (folders.length <= 1) {
    if (!folders.length) {
      void vscode.window.showWarningMessage('manyeyes: open a folder to review its git changes');
    }
    return folders[0];
  }
  return vscode.window.showWorkspaceFolderPick({ placeHolder: 'Review the git changes of which folder?' });
}

/** What the extension offers other extensions (its end-to-end driver among them): the board as the user sees it. */
export interface ManyeyesApi {
  currentBoard(): BoardNotification | undefined;
  boardNotifications(): number;
  statusText(): string;
  /** The refactor goals Refactor Selection offers, as the server lists the concerns (a project's own included). */
  refactorGoals(): Promise<string[]>;
}

/** The language status item's text and busy state from the board: agents at work, then the last review. */
function showStatus(status: vscode.LanguageStatusItem): void {
  status.text = board.statusText();
  status.busy = board.runningAgents() > 0;
}

export async function activate(context: vscode.ExtensionContext): Promise<ManyeyesApi> {
  const view = new BoardView();
  // A language status item, shown with the files the server reviews (the `{}` entry of the status bar).
  const status = vscode.languages.createLanguageStatusItem('manyeyes.status', documentSelector());
  status.name = 'manyeyes';
  status.command = { title: 'Show Board', command: 'manyeyes.showBoard' };
  status.detail = 'starting the server';
  showStatus(status);
  const restart = async () => {
    log.info('restarting the server');
    await client?.stop();
    await startClient(context, view, status);
  };
  const register = (name: string, run: () => unknown) =>
    context.subscriptions.push(vscode.commands.registerCommand(name, run));
  context.subscriptions.push(status, log, vscode.window.registerTreeDataProvider('manyeyes.board', view));
  register('manyeyes.restart', restart);
  register('manyeyes.showLogs', () => log.show(true));
  // How the server starts (its command, its log level): a change needs a new server, not a window reload.
  context.subscriptions.push(vscode.workspace.onDidChangeConfiguration((event) => {
    if (event.affectsConfiguration('manyeyes.server') || event.affectsConfiguration('manyeyes.logLevel')) {
      void restart();
    }
  }));
  register('manyeyes.reviewFile', () => {
    const args = editorArgs();
    return args && execute('manyeyes.review.file', [args.uri]);
  });
  register('manyeyes.reviewSelection', () => {
    const args = editorArgs();
    return args && execute('manyeyes.review.selection', [args.uri, args.range]);
  });
  register('manyeyes.reviewChanges', async () => {
    const folder = await changesFolder();
    return folder && execute('manyeyes.review.changes', [folder.uri.toString()]);
  });
  // A keybinding can name the goal ("args": "security"); otherwise the user picks one.
  register('manyeyes.refactorSelection', async (given?: unknown) => {
    const args = editorArgs();
    const goals = refactorGoals(await execute('manyeyes.concerns', args ? [args.uri] : []) as ConcernsAnswer | undefined);
    const goal = typeof given === 'string' && goals.includes(given)
      ? given
      : args && await vscode.window.showQuickPick(goals, { placeHolder: 'Refactor for which concern?' });
    return args && goal && execute('manyeyes.refactor.selection', [args.uri, args.range, goal]);
  });
  register('manyeyes.cancelReview', () => execute('manyeyes.review.cancel', []));
  context.subscriptions.push(vscode.commands.registerCommand('manyeyes.cancelAgent', (item?: AgentItem) =>
    item?.card && execute('manyeyes.agent.cancel', [item.card.reviewId, item.card.agentId])));
  context.subscriptions.push(vscode.commands.registerCommand(DISMISS_WITH_REASON, async (...args: unknown[]) => {
    const reason = await vscode.window.showInputBox({
      prompt: 'Why is this not a problem here? Later reviews read the reason (empty: none; Esc: keep the finding)',
      ignoreFocusOut: true,
    });
    const given = dismissArguments(args, reason);
    return given && execute(SERVER_DISMISS, given);
  }));
  register('manyeyes.showBoard', () => vscode.commands.executeCommand('manyeyes.board.focus'));
  register('manyeyes.setApiKey', async () => {
    const key = await vscode.window.showInputBox({ prompt: 'API key for the model provider (kept in VS Code\'s '
      + 'secret storage, never in settings.json)', password: true, ignoreFocusOut: true });
    if (key !== undefined) {
      await (key ? context.secrets.store(SECRET_KEY, key) : context.secrets.delete(SECRET_KEY));
      await restart();
    }
  });
  context.subscriptions.push(vscode.workspace.onDidGrantWorkspaceTrust(restart));
  await startClient(context, view, status);
  return {
    currentBoard: () => board.current(),
    boardNotifications: () => board.received,
    statusText: () => status.text,
    refactorGoals: async () => {
      const active = vscode.window.activeTextEditor?.document.uri.toString();
      return refactorGoals(await execute('manyeyes.concerns', active ? [active] : []) as ConcernsAnswer | undefined);
    },
  };
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
