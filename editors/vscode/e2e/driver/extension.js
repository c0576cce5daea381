// Test only: runs inside the real VS Code extension host beside the packaged manyeyes extension and drives it the
// way a user would. Scenarios ($MANYEYES_E2E_SCENARIO):
//   review        Review File -> diagnostics -> hover -> quick fix applied -> Review Selection -> Review Changes
//                 (the unsaved fix against git) -> Review File again -> board and hover shown for the screenshot
//   refactor      Refactor Selection (all concerns, offline): the server sends the checked rewrite as an edit that
//                 needs confirmation, run.mjs clicks Apply in VS Code's refactor preview, the buffer is checked
//   custom-concern  Review File with a model in a project that defines its own concern (pyproject.toml): its
//                 agent on the board, its finding a diagnostic, its name among the refactor goals
//   controls      Review File, Restart Server, Review File again (the new server), Review File on an untitled
//                 Python buffer, Show Logs: run.mjs reads the output channel (the server's info log) and the
//                 language status item's hover
//   dismiss       Review File, then the Dismiss quick fix on the shell finding: run.mjs types the reason into
//                 the input box the extension opens; the finding goes and the record keeps the reason
//   cancel-agent  Review File with a model; once the security agent runs, run.mjs clicks the cancel button on its
//                 card in the rendered board (asked for through $MANYEYES_E2E_OUT.click); the others finish
//   first-start   no server settings and a Python without manyeyes (from the Python extension stand-in): the
//                 extension installs its server on first start, Review File gives diagnostics; then the user picks
//                 another interpreter (one with manyeyes) and the server restarts with it and reviews again;
//                 then manyeyes.server.python names the first one: a restart, into the environment already made
//   crash         a server that dies three seconds after it starts: the client restarts it four times, then
//                 stops; run.mjs reads the notifications (one, saying so) and the driver the status item
//   multi-root    a .code-workspace with two folders (the file's and its sibling `b`), each with its own
//                 .vscode/settings.json: Review File in each
// It writes what it saw to $MANYEYES_E2E_OUT as JSON (run.mjs reads it) and does nothing at all when that
// variable is not set.
const fs = require('fs');
const vscode = require('vscode');

const { until } = require('./wait');

const MANYEYES = 'manyeyes.manyeyes';

function codeOf(diagnostic) {
  return typeof diagnostic.code === 'object' ? String(diagnostic.code.value) : String(diagnostic.code);
}

function describe(diagnostic) {
  return {
    code: codeOf(diagnostic),
    source: diagnostic.source,
    line: diagnostic.range.start.line,
    character: diagnostic.range.start.character,
    severity: diagnostic.severity,
    message: diagnostic.message,
  };
}

function manyeyesDiagnostics(uri) {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'manyeyes');
}

/** Runs a review command and waits for the last board of the review it started. */
async function runReview(api, command) {
  const answer = await vscode.commands.executeCommand(command);
  if (!answer || !answer.reviewId) {
    throw new Error(`${command} answered ${JSON.stringify(answer)}`);
  }
  return until(`the review of ${command} to finish`, () => {
    const current = api.currentBoard();
    return current && current.reviewId === answer.reviewId && current.done && current;
  }, 90000);
}

/** What a finished review covered: its message, the code each agent looked at, the diagnostics shown after. */
function coverage(board, uri) {
  return {
    message: board.message,
    targets: [...new Set(board.agents.map((a) => a.target))],
    diagnostics: manyeyesDiagnostics(uri).map(describe),
  };
}

/** Runs Review File on the active editor and waits for the run's last board and its diagnostics. */
async function reviewFile(api, uri) {
  const started = api.boardNotifications();
  const board = await runReview(api, 'manyeyes.reviewFile');
  const diagnostics = await until('diagnostics', () => {
    const found = manyeyesDiagnostics(uri);
    return found.length && found;
  }, 10000);
  return { board, diagnostics, notifications: api.boardNotifications() - started };
}

async function hoverText(uri, diagnostic) {
  const hovers = await vscode.commands.executeCommand('vscode.executeHoverProvider', uri, diagnostic.range.start);
  return hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
}

async function applyQuickFix(document, diagnostic) {
  const actions = await vscode.commands.executeCommand(
    'vscode.executeCodeActionProvider', document.uri, diagnostic.range, vscode.CodeActionKind.QuickFix.value);
  // The command's answer does not carry the actions' diagnostics; the range asked about picks the finding.
  const fix = actions.find((a) => a.edit);
  if (!fix) {
    throw new Error(`no quick fix with an edit for ${codeOf(diagnostic)}: ${actions.map((a) => a.title)}`);
  }
  const applied = await vscode.workspace.applyEdit(fix.edit);
  return { title: fix.title, applied, line: document.lineAt(diagnostic.range.start.line).text };
}

async function review(result) {
  const uri = vscode.Uri.file(process.env.MANYEYES_E2E_FILE);
  const document = await vscode.workspace.openTextDocument(uri);
  const editor = await vscode.window.showTextDocument(document);
  const api = await vscode.extensions.getExtension(MANYEYES).activate();

  const first = await reviewFile(api, uri);
  result.board = first.board;
  result.boardNotifications = first.notifications;
  result.diagnostics = first.diagnostics.map(describe);
  result.status = api.statusText();

  const shell = first.diagnostics.find((d) => codeOf(d) === 'B602');
  result.hover = shell ? await hoverText(uri, shell) : null;
  result.fix = await applyQuickFix(document, first.diagnostics.find((d) => codeOf(d) === 'E711'));

  editor.selection = new vscode.Selection(3, 0, 5, 0); // `def run(cmd):` and the line after it
  result.selection = coverage(await runReview(api, 'manyeyes.reviewSelection'), uri);
  result.changes = coverage(await runReview(api, 'manyeyes.reviewChanges'), uri); // the fix is not saved yet

  // The fixed file reviewed again: the picture then shows current findings, the board and a hover on one of them.
  const second = await reviewFile(api, uri);
  result.afterFix = { board: second.board, diagnostics: second.diagnostics.map(describe) };
  await vscode.commands.executeCommand('manyeyes.showBoard');
  const target = second.diagnostics.find((d) => codeOf(d) === 'B602') ?? second.diagnostics[0];
  await vscode.window.showTextDocument(document, { viewColumn: editor.viewColumn, preserveFocus: false });
  editor.selection = new vscode.Selection(target.range.start, target.range.start);
  await vscode.commands.executeCommand('editor.action.showHover');
}

async function cancelAgent(result) {
  const uri = vscode.Uri.file(process.env.MANYEYES_E2E_FILE);
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
  const api = await vscode.extensions.getExtension(MANYEYES).activate();
  await vscode.commands.executeCommand('manyeyes.showBoard');
  const answer = await vscode.commands.executeCommand('manyeyes.reviewFile');
  const mine = () => {
    const current = api.currentBoard();
    return current && current.reviewId === answer.reviewId ? current : undefined;
  };
  const security = await until('the security agent to run', () =>
    mine()?.agents.find((a) => a.concern === 'security' && a.state === 'running'), 30000);
  result.runningAgent = security;
  askRunner({ cancel: `security · ${security.target}` });
  result.board = await until('the review to finish', () => mine()?.done && mine(), 90000);
  // VS Code pulls diagnostics when the server asks it to refresh: they can land a moment after the last board.
  result.diagnostics = (await until('diagnostics', () => {
    const found = manyeyesDiagnostics(uri);
    return found.length && found;
  }, 10000)).map(describe);
  result.status = api.statusText();
}

async function refactor(result) {
  const uri = vscode.Uri.file(process.env.MANYEYES_E2E_FILE);
  const document = await vscode.workspace.openTextDocument(uri);
  const editor = await vscode.window.showTextDocument(document);
  const api = await vscode.extensions.getExtension(MANYEYES).activate();
  const before = document.getText();
  editor.selection = new vscode.Selection(3, 0, 8, 0); // the whole function
  const answer = await vscode.commands.executeCommand('manyeyes.refactorSelection', 'all');
  result.board = await until('the refactor to finish', () => {
    const current = api.currentBoard();
    return current && current.reviewId === answer.reviewId && current.done && current;
  }, 90000);
  askRunner({ apply: true }); // the preview waits for the user
  await until('the previewed refactor to be applied', () => document.getText() !== before, 30000);
  result.after = document.getText();
}

async function customConcern(result) {
  const uri = vscode.Uri.file(process.env.MANYEYES_E2E_FILE);
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
  const api = await vscode.extensions.getExtension(MANYEYES).activate();
  await vscode.commands.executeCommand('manyeyes.showBoard');
  const reviewed = await reviewFile(api, uri);
  result.board = reviewed.board;
  result.diagnostics = reviewed.diagnostics.map(describe);
  result.goals = await api.refactorGoals();
}

async function controls(result) {
  const uri = vscode.Uri.file(process.env.MANYEYES_E2E_FILE);
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
  const api = await vscode.extensions.getExtension(MANYEYES).activate();
  result.first = (await reviewFile(api, uri)).board.message;
  await vscode.commands.executeCommand('manyeyes.restart');
  result.afterRestart = (await reviewFile(api, uri)).board.message; // the new server reviews
  result.status = api.statusText();
  // An untitled buffer (File > New File, language Python, never saved) is reviewed like a file.
  const untitled = await vscode.workspace.openTextDocument({
    language: 'python', content: fs.readFileSync(process.env.MANYEYES_E2E_FILE, 'utf8'),
  });
  await vscode.window.showTextDocument(untitled);
  const buffer = await reviewFile(api, untitled.uri);
  result.untitled = { uri: untitled.uri.toString(), diagnostics: buffer.diagnostics.map(describe) };
  await vscode.commands.executeCommand('manyeyes.showLogs');
  askRunner({ controls: true }); // the runner reads the output channel and the language status as rendered
}

async function dismiss(result) {
  const uri = vscode.Uri.file(process.env.MANYEYES_E2E_FILE);
  const document = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(document);
  const api = await vscode.extensions.getExtension(MANYEYES).activate();
  const first = await reviewFile(api, uri);
  const shell = first.diagnostics.find((d) => codeOf(d) === 'B602');
  const actions = await vscode.commands.executeCommand(
    'vscode.executeCodeActionProvider', uri, shell.range, vscode.CodeActionKind.QuickFix.value);
  const action = actions.find((a) => a.title.startsWith('manyeyes: Dismiss') && a.command);
  result.command = action.command.command;
  // The extension asks why in an input box, as for a user: run.mjs types the reason there and presses Enter.
  const done = vscode.commands.executeCommand(action.command.command, ...action.command.arguments);
  askRunner({ type: 'cmd is a constant in this tool, never user input' });
  await done;
  result.diagnostics = (await until('the dismissed finding to go', () => {
    const left = manyeyesDiagnostics(uri);
    return left.some((d) => codeOf(d) === 'B602') ? undefined : left;
  }, 30000)).map(describe);
  const folder = require('path').dirname(process.env.MANYEYES_E2E_FILE); // the project the workspace opens
  result.record = JSON.parse(fs.readFileSync(`${folder}/.manyeyes/suppressions.jsonl`, 'utf8').split('\n')[0]);
}

async function firstStart(result) {
  const began = Date.now();
  const uri = vscode.Uri.file(process.env.MANYEYES_E2E_FILE);
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
  const api = await vscode.extensions.getExtension(MANYEYES).activate();
  result.activatedSeconds = (Date.now() - began) / 1000; // activation does not wait for the install
  const first = await reviewFile(api, uri); // the command waits for the server
  result.firstStartSeconds = (Date.now() - began) / 1000;
  result.first = { server: await api.serverDetail(), diagnostics: first.diagnostics.map(describe) };
  // The user picks another interpreter in the Python extension: the server follows it.
  await vscode.commands.executeCommand('fakePython.select', process.env.MANYEYES_E2E_PYTHON_NEXT);
  const server = await api.serverDetail();
  const second = await reviewFile(api, uri);
  result.second = { server, diagnostics: second.diagnostics.map(describe) };
  // A setting names the first Python again: the server restarts in the environment made at first start.
  const named = Date.now();
  await vscode.workspace.getConfiguration('manyeyes').update('server.python', process.env.MANYEYES_E2E_PYTHON_ENV,
    vscode.ConfigurationTarget.Global);
  const third = await until('the server to restart in its own environment', async () => {
    const detail = await api.serverDetail();
    return detail.includes('its own environment') && detail;
  }, 60000);
  result.third = { server: third, seconds: (Date.now() - named) / 1000 };
}

async function crash(result) {
  const api = await vscode.extensions.getExtension(MANYEYES).activate();
  askRunner({ notifications: 'crashed' }); // run.mjs waits for that notification and reads every one shown
  let since = Date.now();
  result.status = await until('the server to stay stopped', async () => {
    const detail = await api.serverDetail();
    if (!detail.includes('stopped')) {
      since = Date.now();
    }
    return Date.now() - since > 10000 && detail; // a restart would have come by now
  }, 150000);
}

async function multiRoot(result) {
  const api = await vscode.extensions.getExtension(MANYEYES).activate();
  const first = vscode.Uri.file(process.env.MANYEYES_E2E_FILE);
  const second = vscode.Uri.joinPath(first, '..', '..', 'b', 'app.py');
  result.folders = (vscode.workspace.workspaceFolders ?? []).map((folder) => folder.name);
  for (const [name, uri] of [['a', first], ['b', second]]) {
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const reviewed = await reviewFile(api, uri);
    result[name] = {
      concerns: [...new Set(reviewed.board.agents.map((agent) => agent.concern))].sort(),
      diagnostics: reviewed.diagnostics.map(describe),
    };
  }
}

/** Asks run.mjs to do what only a user can, in the rendered window (a click). */
function askRunner(request) {
  fs.writeFileSync(`${process.env.MANYEYES_E2E_OUT}.click`, JSON.stringify(request));
}

const SCENARIOS = {
  review, refactor, 'cancel-agent': cancelAgent, dismiss, 'custom-concern': customConcern, controls,
  'first-start': firstStart, 'multi-root': multiRoot, crash,
};

exports.activate = async function activate() {
  const out = process.env.MANYEYES_E2E_OUT;
  if (!out) {
    return;
  }
  const result = {};
  try {
    await SCENARIOS[process.env.MANYEYES_E2E_SCENARIO || 'review'](result);
    result.ok = true;
  } catch (error) {
    result.ok = false;
    result.error = String((error && error.stack) || error);
  }
  fs.writeFileSync(`${out}.tmp`, JSON.stringify(result, null, 2));
  fs.renameSync(`${out}.tmp`, out); // run.mjs sees the whole file or none of it
};
