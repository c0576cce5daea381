import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import { askingForReasons, dismissArguments, DISMISS_WITH_REASON, SERVER_DISMISS } from '../dismiss';

test('dismiss actions go through the command that asks for a reason; the others are untouched', () => {
  const fix = { title: 'manyeyes: fix', edit: {} } as { title: string; edit: object; command?: undefined };
  const dismiss = { title: 'manyeyes: Dismiss', command: { title: 'Dismiss', command: SERVER_DISMISS, arguments: ['file:///a.py', 'fp'] } };
  const review = { title: 'Review selection', command: { title: 'Review', command: 'manyeyes.review.selection' } };
  const [a, b, c] = askingForReasons<any>([fix, dismiss, review]);
  assert.equal(a, fix);
  assert.deepEqual(b.command, { title: 'Dismiss', command: DISMISS_WITH_REASON, arguments: ['file:///a.py', 'fp'] });
  assert.equal(c.command.command, 'manyeyes.review.selection');
});

test('the reason is passed on, trimmed; a cancelled prompt dismisses nothing', () => {
  assert.deepEqual(dismissArguments(['file:///a.py', 'fp'], '  test fixture  '), ['file:///a.py', 'fp', 'test fixture']);
  assert.deepEqual(dismissArguments(['file:///a.py', 'fp'], ''), ['file:///a.py', 'fp', '']);
  assert.equal(dismissArguments(['file:///a.py', 'fp'], undefined), undefined);
  assert.equal(dismissArguments([], 'why'), undefined);
});
