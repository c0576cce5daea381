import assert from 'node:assert/strict';
import { test } from 'node:test';

import { documentSelector } from '../documents';

test('the selector matches reviewed suffixes, names and prefixes, nothing else', () => {
  const [bySuffix, byName, ...untitled] = documentSelector(
    { suffixes: ['py', 'ts'], names: ['Dockerfile'], prefixes: ['.env.'], languageIds: ['python'] });
  assert.deepEqual(bySuffix, { scheme: 'file', pattern: '**/*.{py,ts}' });
  assert.deepEqual(byName, { scheme: 'file', pattern: '**/{Dockerfile,.env.*}' });
  assert.deepEqual(untitled, [{ scheme: 'untitled', language: 'python' }]);
});

test('the manifest lists what the server reviews, and no Markdown', () => {
  const [bySuffix, byName, ...untitled] = documentSelector() as { pattern?: string; language?: string }[];
  assert.match(bySuffix.pattern ?? '', /[{,]py[,}]/);
  assert.doesNotMatch(bySuffix.pattern ?? '', /[{,]md[,}]/);
  assert.match(byName.pattern ?? '', /Dockerfile/);
  const languages = untitled.map((filter) => filter.language);
  assert.ok(languages.includes('python') && languages.includes('typescriptreact'));
  assert.ok(!languages.includes('markdown') && !languages.includes('plaintext'));
});
