import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import { Inspected, SERVER_KEYS, serverSettings } from '../settings';

const set: Record<string, Record<string, unknown>> = {
  minSeverity: { defaultValue: 'info', globalValue: 'medium', workspaceFolderValue: 'high' },
  model: { defaultValue: null, globalValue: null },
  concurrency: { defaultValue: 4, workspaceValue: 2 },
  concerns: { defaultValue: ['security', 'performance', 'readability', 'tests'] }, // only the default
  'server.python': { globalValue: 'x' },
};
const config = { inspect: <T>(key: string) => set[key] as Inspected<T> | undefined };

test('only the server settings the user set are sent, the most specific value of each', () => {
  assert.ok(SERVER_KEYS.includes('minSeverity') && !SERVER_KEYS.some((k) => k.startsWith('server.')));
  assert.deepEqual(serverSettings(config), { minSeverity: 'high', concurrency: 2 });
});

test('a key from secret storage is passed by the name of its variable, never by value', () => {
  const settings = serverSettings(config, 'MANYEYES_VSCODE_API_KEY');
  assert.equal(settings.apiKeyEnv, 'MANYEYES_VSCODE_API_KEY');
  assert.ok(!Object.values(settings).includes('sk-secret'));
});
