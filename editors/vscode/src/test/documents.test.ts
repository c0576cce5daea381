import assert from 'node:assert/strict';
import { test } from 'node:test';

import { documentSelector } from '../documents';

test('the selector matches reviewed suffixes, names and prefixes, nothing else', () => {
  const [bySuffix, byName] = documentSelector({ suffixes: ['py', 'ts'], names: ['Dockerfile'], prefixes: ['.env.'] });
  assert.deepEqual(bySuffix, { scheme: 'file', pattern: '**/*.{py,ts}' });
  assert.deepEqual(byName, { scheme: 'file', pattern: '**/{Dockerfile,.env.*}' });
});

test('the manifest lists what the server reviews, and no Markdown', () => {
  const [bySuffix, byName] = documentSelector();
  assert.match(bySuffix.pattern, /[{,]py[,}]/);
  assert.doesNotMatch(bySuffix.pattern, /[{,]md[,}]/);
  assert.match(byName.pattern, /Dockerfile/);
});
