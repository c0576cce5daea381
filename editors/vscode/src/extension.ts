// manyeyes for VS Code: starts the manyeyes language server, adds the review commands, the Agent Board view and
// a status bar item. Reviews, diagnostics, hovers and quick fixes all come from the server (docs/lsp.md).
import * as vscode from 'vscode';
import {
  ExecuteCommandRequest, LanguageClient, LanguageClientOptions, ServerOptions, State,
} from 'vscode-languageclient/node';

import { BoardModel, BoardNotification, Card, VerificationCard } from './board';
import { ConcernsAnswer, refactorGoals } from './concerns';
import { askingForReasons, DISMISS_WITH_REASON, dismissArguments, SERVER_DISMISS } from './dismiss';
import { documentSelector } from './documents';
import { Launch, LaunchProblem } from './launch';
import { locateServer, pythonEnvironments } from './locate';
import { serverSettings } from './settings';

const SECRET_KEY = 'manyeyes.apiKey';
const KEY_ENV = 'MANYEYES_VSCODE_API_KEY';

let client: LanguageClient | undefined;
/** The server's start (or restart) under way; commands wait for it. */
let starting: Promise<void> = Promise.resolve();
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

/** The server's log and the protocol trace (manyeyes.trace.server), in one channel with log levels. */
const log = vscode.window.createOutputChannel('manyeyes', { log: true });

async function startClient(context: vscode.ExtensionContext, view: BoardView, status: vscode.LanguageStatusItem,
  environments: Awaited<ReturnType<typeof pythonEnvironments>>) {
  const secret = await context.secrets.get(SECRET_KEY);
  let launch: Launch;
  try {
    launch = await locateServer(context, log, environments);
  } catch (error) {
    return notStarted(status, error instanceof LaunchProblem ? error.message : `could not find the server: ${error}`);
  }
  const { command, args } = launch;
  const env = { ...process.env, ...(secret ? { [KEY_ENV]: secret } : {}) };
  // Not the workspace: `python -m manyeyes` would import a repository's own `manyeyes` package from there.
  const serverOptions: ServerOptions = { command, args, options: { env, cwd: context.globalStorageUri.fsPath } };
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
  // The client restarts a crashed server four times in three minutes, then stops and says so once; the status
  // item follows (a restart passes through "stopped" too).
  client.onDidChangeState(({ newState }) => {
    if (newState === State.Running) {
      status.detail = `server running: ${launch.how}`;
    } else if (newState === State.Stopped) {
      status.detail = 'server stopped: see "manyeyes: Show Logs"';
    }
  });
  try {
    await client.start();
    log.info(`server started: ${command} ${args.join(' ')}`);
  } catch (error) {
    client = undefined;
    notStarted(status, `could not start the server with "${command} ${args.join(' ')}" (${error}). Set `
      + 'manyeyes.server.python or manyeyes.server.command; see docs/editors.md.');
  }
}

/** Says once why there is no server (the log keeps it, the status item shows it) and offers the settings. */
function notStarted(status: vscode.LanguageStatusItem, problem: string): void {
  status.detail = 'server not running: see "manyeyes: Show Logs"';
  log.error(problem);
  const open = 'Open Settings';
  void vscode.window.showErrorMessage(`manyeyes: ${problem}`, open).then((choice) => {
    if (choice === open) {
      void vscode.commands.executeCommand('workbench.action.openSettings', 'manyeyes.server');
    }
  });
}

async function execute(command: string, args: unknown[]): Promise<unknown> {
  await starting; // a first start may still be installing the server
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
  /** How the running server was started (the status item's detail). */
  serverDetail(): Promise<string>;
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
  const environments = await pythonEnvironments(log);
  // One start at a time: a restart asked for while the server is still starting (or installing) waits for it.
  const restart = () => {
    starting = starting.then(async () => {
      log.info('restarting the server');
      await client?.stop().catch((error) => log.warn(`the old server did not stop cleanly: ${error}`));
      client = undefined;
      await startClient(context, view, status, environments);
    }).catch((error) => log.error(`the server did not restart: ${error}`)); // the next restart must still run
    return starting;
  };
  const register = (name: string, run: () => unknown) =>
    context.subscriptions.push(vscode.commands.registerCommand(name, run));
  context.subscriptions.push(status, log, vscode.window.registerTreeDataProvider('manyeyes.board', view));
  register('manyeyes.restart', restart);
  register('manyeyes.showLogs', () => log.show(true));
  // How the server starts (its command, its log level): a change needs a new server, not a window reload.
  // The Python extension's active environment is the server's Python unless the settings name one.
  if (environments) {
    context.subscriptions.push(environments.onDidChangeActiveEnvironmentPath(() => {
      const config = vscode.workspace.getConfiguration('manyeyes.server');
      if (!config.get<string[]>('command')?.length && !config.get<string>('python')) {
        void restart();
      }
    }));
  }
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
  // Not awaited: a first start installs the server (a minute or so), and the editor must not wait for it.
  starting = startClient(context, view, status, environments).catch((error) => log.error(`no server: ${error}`));
  return {
    currentBoard: () => board.current(),
    boardNotifications: () => board.received,
    statusText: () => status.text,
    serverDetail: async () => {
      await starting;
      return String(status.detail);
    },
    refactorGoals: async () => {
      const active = vscode.window.activeTextEditor?.document.uri.toString();
      return refactorGoals(await execute('manyeyes.concerns', active ? [active] : []) as ConcernsAnswer | undefined);
    },
  };
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
