// The server's settings as the extension passes them: every `manyeyes.*` setting the package contributes,
// except `manyeyes.server.*` (how to start the server is the extension's business). No `vscode` import here.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const manifest = require('../package.json');

/** Where VS Code has a setting's value from (WorkspaceConfiguration.inspect). */
export interface Inspected<T> {
  defaultValue?: T;
  globalValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
}

export interface ConfigLike {
  inspect<T>(key: string): Inspected<T> | undefined;
}

/** The extension's own settings: how the server starts and logs, and the protocol trace. Not the server's. */
export const CLIENT_KEYS = ['logLevel', 'trace.server'];

export const SERVER_KEYS: string[] = Object.keys(manifest.contributes.configuration.properties)
  .filter((key) => !key.startsWith('manyeyes.server.'))
  .map((key) => key.slice('manyeyes.'.length))
  .filter((key) => !CLIENT_KEYS.includes(key));

/** The value the user set, the most specific first; undefined when only the manifest's default is there. */
function setValue(config: ConfigLike, key: string): unknown {
  const found = config.inspect(key);
  return found?.workspaceFolderValue ?? found?.workspaceValue ?? found?.globalValue;
}

/** The settings to send: values the user set (null means "the server's default"), and the key's variable. A
 * default is never sent: the server has the same defaults, and a default sent as a value would override what
 * the project's own files (pyproject.toml, .manyeyes.toml) say. */
export function serverSettings(config: ConfigLike, apiKeyEnv?: string): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  for (const key of SERVER_KEYS) {
    const value = setValue(config, key);
    if (value !== undefined && value !== null) {
      settings[key] = value;
    }
  }
  if (apiKeyEnv && !settings.apiKeyEnv) {
    settings.apiKeyEnv = apiKeyEnv;
  }
  return settings;
}
