// How the extension gets a server to start. No `vscode` import here: it is tested in plain Node.
//
// In order: the command the user set (manyeyes.server.command); a Python that already has manyeyes (the one the
// user named in manyeyes.server.python, at any version; one found for them, from the Python extension or PATH,
// only at this extension's own version); else the extension's private environment, made from that Python on
// first start by installing the server wheel bundled in the .vsix, so the server is always the extension's own
// version (docs/editors.md says why this way and not platform-specific bundles).
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const MIN_PYTHON: [number, number] = [3, 10];
const PROBE_TIMEOUT_MS = 30_000;
const INSTALL_TIMEOUT_MS = 15 * 60_000;
const READY = 'manyeyes-ready.json';
const LOCK_POLL_MS = 2_000;

/** What starts the server, and a sentence saying where it came from (the status item and the log show it). */
export interface Launch {
  command: string;
  args: string[];
  how: string;
}

/** Why no server could be found or made: one message for the user, written to be read once. */
export class LaunchProblem extends Error {}

/** What a Python interpreter says about itself. */
export interface Probe {
  executable: string;
  version: [number, number, number];
  manyeyes: string | null;
}

/** A Python to try, and whether the user named it (then its manyeyes is used whatever its version). */
export interface Candidate {
  python: string;
  named: boolean;
  origin: string;
}

// `-c` puts the working directory first on sys.path: probes run in a directory the extension owns, never in a
// workspace, so a repository's own `json.py` or `importlib/` is never imported.
const PROBE = [
  'import json, sys',
  'try:',
  '    from importlib.metadata import version',
  '    found = version("manyeyes")',
  'except Exception:',
  '    found = None',
  'print(json.dumps({"executable": sys.executable, "version": list(sys.version_info[:3]), "manyeyes": found}))',
].join('\n');

/** The Pythons to try, best first: the setting, the Python extension's active environment, then PATH. */
export function candidates(setting: string | undefined, fromPythonExtension: string | undefined,
  platform = process.platform): Candidate[] {
  if (setting) {
    return [{ python: setting, named: true, origin: 'manyeyes.server.python' }];
  }
  if (fromPythonExtension) {
    return [{ python: fromPythonExtension, named: false, origin: "the Python extension's active environment" }];
  }
  const onPath = platform === 'win32' ? ['python', 'py'] : ['python3', 'python'];
  return onPath.map((python) => ({ python, named: false, origin: 'PATH' }));
}

export function parseProbe(output: string): Probe | undefined {
  try {
    const probe = JSON.parse(output.trim().split('\n').pop() ?? '');
    return Array.isArray(probe.version) && typeof probe.executable === 'string' ? probe : undefined;
  } catch {
    return undefined;
  }
}

export function tooOld(probe: Probe): boolean {
  const [major, minor] = probe.version;
  return major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1]);
}

/** Whether this Python's own manyeyes is the server to run. */
export function usesOwnManyeyes(probe: Probe, candidate: Candidate, version: string): boolean {
  return probe.manyeyes !== null && (candidate.named || probe.manyeyes === version);
}

/** The private environment's directory: one per extension version and base interpreter. */
export function environmentName(version: string, base: Probe): string {
  const digest = createHash('sha256').update(base.executable).digest('hex').slice(0, 10);
  return `${version}-${digest}`;
}

export function environmentPython(dir: string, platform = process.platform): string {
  return platform === 'win32' ? path.join(dir, 'Scripts', 'python.exe') : path.join(dir, 'bin', 'python');
}

export function serverArgs(level: string): string[] {
  return ['-m', 'manyeyes', 'lsp', '--log-level', level];
}

/** Runs a Python with the probe; undefined when it does not run or does not answer like a Python. */
export function probe(python: string, cwd: string): Promise<Probe | undefined> {
  return new Promise((resolve) => {
    execFile(python, ['-c', PROBE], { cwd, timeout: PROBE_TIMEOUT_MS, windowsHide: true }, (error, stdout) => {
      resolve(error ? undefined : parseProbe(stdout));
    });
  });
}

/** The first candidate that runs, with what it said; a LaunchProblem when none runs or the one found is too old. */
export async function findPython(tried: Candidate[], cwd: string): Promise<{ candidate: Candidate; probe: Probe }> {
  for (const candidate of tried) {
    const answer = await probe(candidate.python, cwd);
    if (!answer) {
      continue;
    }
    if (tooOld(answer)) {
      const [major, minor] = answer.version;
      throw new LaunchProblem(`manyeyes needs Python ${MIN_PYTHON.join('.')} or newer; ${answer.executable} `
        + `(from ${candidate.origin}) is ${major}.${minor}. Select a newer interpreter or set manyeyes.server.python.`);
    }
    return { candidate, probe: answer };
  }
  const names = tried.map((c) => `${c.python} (${c.origin})`).join(', ');
  throw new LaunchProblem(`manyeyes needs Python ${MIN_PYTHON.join('.')} or newer and none runs here (tried `
    + `${names}). Install Python, or set manyeyes.server.python to one.`);
}

/** The wheel of the server bundled in the extension (`npm run package` puts it in server/). */
export function bundledWheel(extensionDir: string, version: string): string {
  const dir = path.join(extensionDir, 'server');
  const wheel = fs.existsSync(dir)
    ? fs.readdirSync(dir).find((name) => name.startsWith(`manyeyes-${version}-`) && name.endsWith('.whl'))
    : undefined;
  if (!wheel) {
    throw new LaunchProblem(`this build of the extension has no manyeyes ${version} server bundled (${dir}). `
      + 'Install manyeyes (`pip install manyeyes`) and set manyeyes.server.python, or set manyeyes.server.command.');
  }
  return path.join(dir, wheel);
}

/** Where a step of making the environment reports to: the log (every line) and the progress notification. */
export interface Report {
  line(text: string): void;
  step(text: string): void;
}

interface Outcome {
  code: number | null;
  output: string[];
}

function run(command: string, args: string[], cwd: string, report: Report): Promise<Outcome> {
  return new Promise((resolve) => {
    const output: string[] = [];
    const child = spawn(command, args, { cwd, windowsHide: true, env: { ...process.env, PIP_NO_INPUT: '1' } });
    const timer = setTimeout(() => child.kill('SIGKILL'), INSTALL_TIMEOUT_MS);
    const take = (chunk: Buffer) => {
      for (const text of chunk.toString().split(/\r?\n/).filter(Boolean)) {
        output.push(text);
        report.line(text);
        const doing = /^(Collecting|Installing|Building|Downloading) .*/.exec(text);
        if (doing) {
          report.step(doing[0].slice(0, 80));
        }
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (error) => output.push(String(error)));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

function lastWords(outcome: Outcome): string {
  const errors = outcome.output.filter((line) => /error|could not|no matching|not available/i.test(line));
  return (errors.pop() ?? outcome.output[outcome.output.length - 1] ?? `exit code ${outcome.code}`).trim();
}

/** Why `python -m venv` failed, in words a user can act on. */
export function venvProblem(base: Probe, outcome: Outcome): LaunchProblem {
  const said = outcome.output.join('\n');
  const hint = /ensurepip|venv/i.test(said) && process.platform === 'linux'
    ? ' On Debian and Ubuntu, install the python3-venv package.' : '';
  return new LaunchProblem(`manyeyes could not make its environment with ${base.executable}: ${lastWords(outcome)}.`
    + `${hint} Or set manyeyes.server.python to a Python that has manyeyes installed.`);
}

/** Why pip failed: most often the package registry cannot be reached. */
export function pipProblem(outcome: Outcome): LaunchProblem {
  return new LaunchProblem(`manyeyes could not install its server's dependencies (pip: ${lastWords(outcome)}). `
    + 'Is the package registry (PyPI, or your index in pip.conf) reachable from here? pip\'s output is in '
    + '"manyeyes: Show Logs"; "manyeyes: Restart Server" tries again. Or set manyeyes.server.python to a Python '
    + 'that has manyeyes installed.');
}

/**
 * The private environment's Python: made on first start (a venv from `base`, the bundled wheel installed with its
 * dependencies from the package registry), reused after. It is made in its final place (its scripts, semgrep's
 * among them, name their interpreter by absolute path, so it cannot be built elsewhere and moved) under a lock
 * file, so a second window starting at the same time waits for the first; it counts only once its READY file is
 * written, so a first start cut short is made again. An environment that no longer runs (its base Python removed)
 * is made again; other versions' environments go.
 */
export async function privateEnvironment(storage: string, version: string, base: Probe, wheel: string,
  report: Report): Promise<string> {
  const envs = path.join(storage, 'envs');
  const dir = path.join(envs, environmentName(version, base));
  fs.mkdirSync(envs, { recursive: true });
  for (;;) {
    if (await ready(dir, version, storage, report)) {
      return environmentPython(dir);
    }
    const lock = takeLock(`${dir}.lock`);
    if (!lock) {
      report.step('waiting for another window that is making the environment');
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
      continue;
    }
    try {
      if (!(await ready(dir, version, storage, report))) { // another window may have finished it meanwhile
        await make(dir, version, base, wheel, storage, report);
      }
    } finally {
      fs.closeSync(lock);
      fs.rmSync(`${dir}.lock`, { force: true });
    }
    removeOtherVersions(envs, version, report);
    return environmentPython(dir);
  }
}

/** Whether the environment is made and still runs this version's server (one that does not is removed). */
async function ready(dir: string, version: string, storage: string, report: Report): Promise<boolean> {
  if (!fs.existsSync(path.join(dir, READY))) {
    return false;
  }
  if ((await probe(environmentPython(dir), storage))?.manyeyes === version) {
    return true;
  }
  report.line(`the environment at ${dir} does not run manyeyes ${version} any more: making it again`);
  fs.rmSync(path.join(dir, READY), { force: true });
  return false;
}

/** The lock's file descriptor, or undefined while another live process holds it (an abandoned lock is taken). */
function takeLock(file: string): number | undefined {
  try {
    const fd = fs.openSync(file, 'wx');
    fs.writeSync(fd, String(process.pid));
    return fd;
  } catch {
    if (abandoned(file)) {
      fs.rmSync(file, { force: true });
    }
    return undefined;
  }
}

/** A lock whose process is gone (a window closed mid-install), or older than any install may take. */
function abandoned(file: string): boolean {
  try {
    const holder = Number(fs.readFileSync(file, 'utf8'));
    const age = Date.now() - fs.statSync(file).mtimeMs;
    if (age > INSTALL_TIMEOUT_MS + PROBE_TIMEOUT_MS) {
      return true;
    }
    process.kill(holder, 0); // throws when no such process
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function make(dir: string, version: string, base: Probe, wheel: string, storage: string, report: Report) {
  fs.rmSync(dir, { recursive: true, force: true });
  try {
    report.step(`making a Python environment with ${base.executable}`);
    const venv = await run(base.executable, ['-m', 'venv', dir], storage, report);
    if (venv.code !== 0) {
      throw venvProblem(base, venv);
    }
    report.step('installing the server and its dependencies');
    const pip = await run(environmentPython(dir), ['-m', 'pip', 'install', '--disable-pip-version-check',
      `${wheel}[semgrep]`], storage, report);
    if (pip.code !== 0) {
      throw pipProblem(pip);
    }
    fs.writeFileSync(path.join(dir, READY), JSON.stringify({ version, base: base.executable }));
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

function removeOtherVersions(envs: string, version: string, report: Report): void {
  for (const name of fs.readdirSync(envs)) {
    if (!name.startsWith(`${version}-`)) {
      report.line(`removing the environment of another version: ${name}`);
      fs.rmSync(path.join(envs, name), { recursive: true, force: true });
    }
  }
}
