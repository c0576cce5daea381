import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import { ConcernInfo, refactorGoals } from '../concerns';

function concern(name: string, extra: Partial<ConcernInfo> = {}): ConcernInfo {
  return { name, description: '', builtIn: true, enabled: true, refactorGoal: true, source: 'built-in', ...extra };
}

test('the goals are the running concerns that are refactor goals, a project\'s own included', () => {
  const answer = {
    concerns: [
      concern('security'), concern('tests', { enabled: false }),
      concern('accessibility', { builtIn: false, source: 'project' }),
      concern('licensing', { builtIn: false, refactorGoal: false }),
    ],
    notes: [],
  };
  assert.deepEqual(refactorGoals(answer), ['all', 'security', 'accessibility']);
});

test('without an answer, the built-in four', () => {
  assert.deepEqual(refactorGoals(undefined), ['all', 'security', 'performance', 'readability', 'tests']);
});
