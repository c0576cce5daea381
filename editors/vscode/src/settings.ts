// The server's settings as the extension passes them: every `manyeyes.*` setting the package contributes,
// except `manyeyes.server.*` (how to start the server is the extension's business). No `vscode` import here.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const manifest = require('../package.json');

export interface ConfigLike {
  get<T>(key: string): T | undefined;
}

/** The extension's own settings: how the server starts and logs, and the protocol trace. Not the server's. */
export const CLIENT_KEYS = ['logLevel', 'trace.server'];

export const SERVER_KEYS: string[] = Object.keys(manifest.contributes.configuration.properties)
  .filter((key) => !key.startsWith('manyeyes.server.'))
  .map((key) => key.slice('manyeyes.'.length))
  .filter((key) => !CLIENT_KEYS.includes(key));

/** The settings to send: values that are set (null means "the server's default"), and the key's variable. */
export function serverSettings(config: ConfigLike, apiKeyEnv?: string): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  for (const key of SERVER_KEYS) {
    const value = config.get(key);
    if (value !== undefined && value !== null) {
      settings[key] = value;
    }
  }
  if (apiKeyEnv && !settings.apiKeyEnv) {
    settings.apiKeyEnv = apiKeyEnv;
  }
  return settings;
}
