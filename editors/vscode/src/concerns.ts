// The concerns come from the server (`manyeyes.concerns`): a project's own concern is a refactor goal, a board
// card and a review like the built-in four, without a new release of the extension.

export interface ConcernInfo {
  name: string;
  description: string;
  builtIn: boolean;
  enabled: boolean;
  refactorGoal: boolean;
  source: string;
}

export interface ConcernsAnswer { concerns: ConcernInfo[]; notes: string[] }

/** What the server knew before it could tell (an older server, or one not started yet). */
export const BUILT_IN_GOALS = ['security', 'performance', 'readability', 'tests'];

/** The refactor goals to offer: "all", then every running concern that is a refactor goal, as the server lists. */
export function refactorGoals(answer: ConcernsAnswer | undefined): string[] {
  const listed = answer?.concerns?.filter((c) => c.enabled && c.refactorGoal).map((c) => c.name);
  return ['all', ...(listed && listed.length ? listed : BUILT_IN_GOALS)];
}
