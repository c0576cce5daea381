// The VS Code extension in real VS Code: code-server (VS Code OSS) runs the packaged manyeyes.vsix and a small
// driver extension (driver/) in its extension host; headless chromium, driven by puppeteer-core, is the window
// the workbench runs in (the extension host starts only once a workbench connects). The driver reviews a file,
// applies a quick fix and writes what it saw; this script then checks the rendered UI, saves a screenshot and
// merges everything into --out. When the driver asks (a `.click` file beside its output), this script clicks the
// cancel button on an agent's card, as a user would. Run by tests/editors/test_vscode.py:
//
//   node run.mjs --code-server DIR --vsix manyeyes.vsix --python PY --file WS/app.py --out result.json \
//     [--scenario review|refactor|cancel-agent|dismiss|custom-concern|controls|first-start|multi-root|crash] [--settings JSON]
//     [--screenshot shot.png] [--chromium /usr/bin/chromium] [--python-extension BASE_PYTHON]
// --python-extension installs a stand-in for the Python extension (fake-python/) whose active environment is
// BASE_PYTHON; the driver can switch it to --python. --open names a .code-workspace to open instead of the folder
// of --file (a multi-root workspace).
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import puppeteer from 'puppeteer-core';

import wait from './driver/wait.js'; // CommonJS: the driver's own package has no "type": "module"

const { until } = wait;

const HERE = path.dirname(fileURLToPath(import.meta.url));
const VSCE = path.join(HERE, '..', 'node_modules', '@vscode', 'vsce', 'vsce');
// A first start installs the server into a fresh environment (about a minute here) before the first review.
const DRIVER_TIMEOUT_MS = 180_000;
const FIRST_START_TIMEOUT_MS = 480_000;

const { values: args } = parseArgs({
  options: {
    'code-server': { type: 'string' },
    vsix: { type: 'string' },
    python: { type: 'string' },
    file: { type: 'string' },
    out: { type: 'string' },
    screenshot: { type: 'string' },
    scenario: { type: 'string', default: 'review' },
    settings: { type: 'string', default: '{}' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    'python-extension': { type: 'string' },
    open: { type: 'string' },
  },
});
for (const required of ['code-server', 'vsix', 'python', 'file', 'out']) {
  if (!args[required]) {
    console.error(`run.mjs: --${required} is required`);
    process.exit(2);
  }
}

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'manyeyes-vscode-'));
const dirs = { data: path.join(home, 'data'), ext: path.join(home, 'ext') };
const entry = path.join(args['code-server'], 'out', 'node', 'entry.js');
const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, 'config') };
const workspace = path.dirname(path.resolve(args.file));
const driverOut = path.join(home, 'driver.json');

function codeServer(extra) {
  return ['--user-data-dir', dirs.data, '--extensions-dir', dirs.ext, ...extra];
}

function install(vsix) {
  execFileSync(process.execPath, [entry, ...codeServer(['--install-extension', vsix])], { env, stdio: 'pipe' });
}

/** Packages one of the test's own extensions (driver/, fake-python/). */
function packageHelper(name) {
  const vsix = path.join(home, `${name}.vsix`);
  execFileSync(process.execPath, [VSCE, 'package', '--no-yarn', '--allow-missing-repository', '--skip-license',
    '-o', vsix], { cwd: path.join(HERE, name), stdio: 'pipe' });
  return vsix;
}

function writeUserSettings() {
  const settings = {
    'manyeyes.server.command': [args.python, '-m', 'manyeyes', 'lsp'],
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'security.workspace.trust.enabled': false,
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'telemetry.telemetryLevel': 'off',
    'editor.minimap.enabled': false,
    'window.zoomLevel': 0,
    ...JSON.parse(args.settings),
  };
  const user = path.join(dirs.data, 'User');
  fs.mkdirSync(user, { recursive: true });
  fs.writeFileSync(path.join(user, 'settings.json'), JSON.stringify(settings, null, 2));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    }).on('error', reject);
  });
}

async function startCodeServer(port) {
  const log = fs.openSync(path.join(home, 'code-server.log'), 'w');
  const child = spawn(process.execPath, [entry, ...codeServer(['--auth', 'none', '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override',
    workspace])], {
    env: {
      ...env,
      MANYEYES_E2E_OUT: driverOut,
      MANYEYES_E2E_FILE: path.resolve(args.file),
      MANYEYES_E2E_SCENARIO: args.scenario,
      ...(args['python-extension'] ? {
        MANYEYES_E2E_PYTHON_ENV: args['python-extension'], MANYEYES_E2E_PYTHON_NEXT: args.python,
      } : {}),
    },
    stdio: ['ignore', log, log],
    detached: true, // its own process group, so the extension host and the language server stop with it
  });
  await until('code-server to listen', async () => {
    try {
      return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
    } catch {
      return false;
    }
  }, 60_000);
  return child;
}

/** What the rendered workbench shows: the board view's rows, squiggles in the editor, an open hover. */
async function readUi(page) {
  return page.evaluate(() => {
    const texts = (selector) => [...document.querySelectorAll(selector)].map((e) => e.textContent.trim());
    return {
      boardRows: texts('.pane-body .monaco-list-row').filter((t) => t.includes('·')),
      rejectedRows: texts('.pane-body .monaco-list-row').filter((t) => t.includes('rejected:')),
      squiggles: document.querySelectorAll('[class*="squiggly-"]').length,
      hover: texts('.monaco-hover-content').join('\n'),
      statusBar: texts('.statusbar-item').filter((t) => t.includes('manyeyes')),
    };
  });
}

/** Clicks the inline "Cancel Agent" button of the board card whose label starts with `label`. */
async function cancelOnCard(page, label) {
  const row = await until(`the card "${label}"`, async () => {
    for (const candidate of await page.$$('.pane-body .monaco-list-row')) {
      if ((await candidate.evaluate((e) => e.textContent)).includes(label)) {
        return candidate;
      }
    }
    return undefined;
  }, 10_000);
  await row.hover(); // inline actions show on hover, as for a user
  const button = await until('the cancel button', () => row.$('[aria-label="Cancel Agent"]'), 5_000);
  await button.click();
  return { card: label, clicked: true };
}

/** Confirms the rewrite in VS Code's refactor preview as a user does: an edit that needs confirmation is listed
 * unticked, so tick the file, then click Apply. */
async function applyPreview(page) {
  const tick = await until('the refactor preview', () => page.$('.monaco-list-row input.edit-checkbox'), 15_000);
  const change = await page.$eval('.monaco-list-row[aria-level="2"]', (e) => e.getAttribute('aria-label'));
  await tick.click();
  const apply = await until('the Apply button', async () => {
    for (const button of await page.$$('.monaco-button')) {
      if ((await button.evaluate((e) => e.textContent.trim())) === 'Apply') {
        return button;
      }
    }
    return undefined;
  }, 5_000);
  await apply.click();
  return { applied: true, change };
}

/** Types an answer into the input box a command opened (VS Code's quick input), and presses Enter. */
async function answerInputBox(page, text) {
  const input = await until('the input box', () => page.$('.quick-input-widget:not([style*="display: none"]) input'),
    15_000);
  const prompt = await page.$eval('.quick-input-widget', (e) => e.textContent.trim());
  await input.type(text);
  await page.keyboard.press('Enter');
  return { typed: text, prompt };
}

/** What the user sees of the extension's controls: the "manyeyes" output channel (Show Logs has opened it), and
 * the language status item in the hover of the status bar's language status entry. */
async function readControls(page) {
  const output = await until('the server log in the output panel', async () => {
    const text = await page.evaluate(() => [...document.querySelectorAll('.part.panel .view-lines')]
      .map((e) => e.innerText).join('\n'));
    return text.includes('manyeyes-review-') && text;
  }, 15_000);
  const entry = await until('the language status entry', () => page.$('[id="status.languageStatus"]'), 10_000);
  await entry.hover();
  const languageStatus = await until('the language status hover', async () => {
    const text = await page.evaluate(() => [...document.querySelectorAll('.hover-language-status')]
      .map((e) => e.innerText).join('\n'));
    return text.includes('manyeyes') && text;
  }, 10_000);
  return { output, languageStatus };
}

/** Waits for a notification that says `words`, then gives the text of every notification shown. */
async function readNotifications(page, words) {
  const texts = () => page.evaluate(() => [...document.querySelectorAll('.notification-list-item-message')]
    .map((e) => e.textContent.trim()));
  await until(`a notification saying "${words}"`, async () => (await texts()).some((t) => t.includes(words)), 150_000);
  return { notifications: await texts() };
}

/** Waits for the driver's result, doing the clicks it asks for on the way. */
async function driverResult(page, result) {
  const click = `${driverOut}.click`;
  await until('the driver extension', async () => {
    if (fs.existsSync(click) && !result.click) {
      const request = JSON.parse(fs.readFileSync(click, 'utf8'));
      result.click = request.apply ? await applyPreview(page)
        : request.type ? await answerInputBox(page, request.type)
          : request.controls ? await readControls(page)
            : request.notifications ? await readNotifications(page, request.notifications)
              : await cancelOnCard(page, request.cancel);
    }
    return fs.existsSync(driverOut);
  }, ['first-start', 'crash'].includes(args.scenario) ? FIRST_START_TIMEOUT_MS : DRIVER_TIMEOUT_MS);
  return JSON.parse(fs.readFileSync(driverOut, 'utf8'));
}

function extensionHostLogs() {
  const found = [];
  const walk = (dir) => {
    for (const item of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
      const full = path.join(dir, item.name);
      if (item.isDirectory()) {
        walk(full);
      } else if (/manyeyes|exthost|remoteagent/i.test(item.name)) {
        found.push(`--- ${full}\n${fs.readFileSync(full, 'utf8').slice(-4000)}`);
      }
    }
  };
  walk(path.join(dirs.data, 'logs'));
  return found.join('\n');
}

async function main() {
  const result = { ok: false };
  let server;
  let browser;
  try {
    install(path.resolve(args.vsix));
    install(packageHelper('driver'));
    if (args['python-extension']) {
      install(packageHelper('fake-python'));
    }
    writeUserSettings();
    const port = await freePort();
    server = await startCodeServer(port);
    browser = await puppeteer.launch({
      executablePath: args.chromium,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
        '--no-first-run', `--user-data-dir=${path.join(home, 'chromium')}`],
      defaultViewport: { width: 1440, height: 900 },
    });
    const page = await browser.newPage();
    const opened = args.open ? `workspace=${encodeURIComponent(path.resolve(args.open))}`
      : `folder=${encodeURIComponent(workspace)}`;
    await page.goto(`http://127.0.0.1:${port}/?${opened}`);
    result.driver = await driverResult(page, result);
    // The view redraws a moment after the driver has seen the run end: wait for the last run's end message.
    const last = result.driver.afterFix?.board ?? result.driver.board;
    await until('the finished board (and in the review scenario a hover) to render', async () => {
      const ui = await readUi(page);
      const finished = !last?.message || ui.boardRows.some((row) => row.startsWith(last.message));
      const rejected = ui.rejectedRows.length >= (last?.verification?.rejected.length ?? 0);
      return ui.boardRows.length && finished && rejected && (args.scenario !== 'review' || ui.hover);
    }, 15_000).catch(() => undefined); // what did render is reported either way
    result.ui = await readUi(page);
    if (args.screenshot) {
      fs.mkdirSync(path.dirname(path.resolve(args.screenshot)), { recursive: true });
      await page.screenshot({ path: args.screenshot });
    }
    result.ok = Boolean(result.driver.ok);
  } catch (error) {
    result.error = String(error.stack ?? error);
  } finally {
    await browser?.close().catch(() => undefined);
    if (server) {
      try {
        process.kill(-server.pid, 'SIGTERM');
      } catch { /* already gone */ }
    }
  }
  if (!result.ok) {
    const serverLog = path.join(home, 'code-server.log');
    const tail = fs.existsSync(serverLog) ? fs.readFileSync(serverLog, 'utf8').slice(-4000) : '';
    result.logs = `${tail}\n${extensionHostLogs()}`;
  }
  fs.writeFileSync(args.out, JSON.stringify(result, null, 2));
  fs.rmSync(home, { recursive: true, force: true });
  process.exit(result.ok ? 0 : 1);
}

await main();
