// Where the server comes from, in VS Code's terms: the settings, the Python extension's active environment and a
// progress notification while the private environment is made on first start. The decisions are in launch.ts.
import * as vscode from 'vscode';

import {
  bundledWheel, candidates, findPython, Launch, privateEnvironment, serverArgs, usesOwnManyeyes,
} from './launch';

/** The part of the Python extension's API (ms-python.python, `environments`) the extension uses. */
interface PythonEnvironments {
  getActiveEnvironmentPath(resource?: vscode.Uri): { path: string };
  resolveEnvironment(path: { path: string } | string): Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
  onDidChangeActiveEnvironmentPath: vscode.Event<unknown>;
}

/** The Python extension's environments API, when that extension is installed and answers. */
export async function pythonEnvironments(log: vscode.LogOutputChannel): Promise<PythonEnvironments | undefined> {
  const extension = vscode.extensions.getExtension('ms-python.python');
  if (!extension) {
    return undefined;
  }
  try {
    const api = extension.isActive ? extension.exports : await extension.activate();
    return api?.environments;
  } catch (error) {
    log.warn(`the Python extension did not answer (${error}): looking for Python on PATH`);
    return undefined;
  }
}

async function activePython(environments: PythonEnvironments | undefined, log: vscode.LogOutputChannel) {
  if (!environments) {
    return undefined;
  }
  try {
    const active = environments.getActiveEnvironmentPath(vscode.workspace.workspaceFolders?.[0]?.uri);
    const resolved = await environments.resolveEnvironment(active);
    return resolved?.executable.uri?.fsPath ?? active.path;
  } catch (error) {
    log.warn(`the Python extension has no active environment (${error}): looking for Python on PATH`);
    return undefined;
  }
}

/** The command that starts the server (see launch.ts for the order); throws a LaunchProblem when there is none. */
export async function locateServer(context: vscode.ExtensionContext, log: vscode.LogOutputChannel,
  environments: PythonEnvironments | undefined): Promise<Launch> {
  // The server runs in this directory (see startClient), whichever way it is started: it must exist.
  await vscode.workspace.fs.createDirectory(context.globalStorageUri);
  const config = vscode.workspace.getConfiguration('manyeyes');
  const level = config.get<string>('logLevel') ?? 'warning';
  const explicit = config.get<string[]>('server.command') ?? [];
  if (explicit.length) {
    return { command: explicit[0], args: [...explicit.slice(1), '--log-level', level], how: 'manyeyes.server.command' };
  }
  // Probes and the server run in a directory the extension owns: `python -m` and `-c` put the working directory
  // first on sys.path, and a workspace must not be able to put its own `manyeyes` package in the server's place.
  const home = context.globalStorageUri.fsPath;
  const version: string = context.extension.packageJSON.version;
  const tried = candidates(config.get<string>('server.python') || undefined, await activePython(environments, log));
  const { candidate, probe } = await findPython(tried, home);
  if (usesOwnManyeyes(probe, candidate, version)) {
    return { command: probe.executable, args: serverArgs(level), how: `manyeyes ${probe.manyeyes} in ${probe.executable}` };
  }
  const wheel = bundledWheel(context.extensionPath, version);
  const python = await vscode.window.withProgress({
    location: vscode.ProgressLocation.Notification,
    title: 'manyeyes: first start, installing the server',
  }, (progress) => privateEnvironment(home, version, probe, wheel, {
    line: (text) => log.info(`[install] ${text}`),
    step: (text) => progress.report({ message: text }),
  }));
  return { command: python, args: serverArgs(level), how: `manyeyes ${version} in its own environment (${python})` };
}
