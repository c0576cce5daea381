import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import { SERVER_KEYS, serverSettings } from '../settings';

const values: Record<string, unknown> = { minSeverity: 'high', model: null, concurrency: 2, 'server.python': 'x' };
const config = { get: <T>(key: string) => values[key] as T | undefined };

test('only the server settings are sent, and unset ones are left to the server', () => {
  assert.ok(SERVER_KEYS.includes('minSeverity') && !SERVER_KEYS.some((k) => k.startsWith('server.')));
  assert.deepEqual(serverSettings(config), { minSeverity: 'high', concurrency: 2 });
});

test('a key from secret storage is passed by the name of its variable, never by value', () => {
  const settings = serverSettings(config, 'MANYEYES_VSCODE_API_KEY');
  assert.equal(settings.apiKeyEnv, 'MANYEYES_VSCODE_API_KEY');
  assert.ok(!Object.values(settings).includes('sk-secret'));
});
