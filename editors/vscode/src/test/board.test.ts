import { strict as assert } from 'node:assert';
import { test } from 'node:test';

import { Agent, BoardModel, BoardNotification } from '../board';

function agent(id: string, state: string, extra: Partial<Agent> = {}): Agent {
  return {
    id, concern: 'security', target: 'app.py:1-9', agent: 'offline', state, findings: 0, tokens: 0, costUsd: 0,
    durationS: 0, cached: false, error: null, ...extra,
  };
}

function board(reviewId: string, done: boolean, agents: Agent[], extra: Partial<BoardNotification> = {}): BoardNotification {
  return { reviewId, done, message: null, percentage: 0, findings: 0, tokens: 0, costUsd: 0, agents, ...extra };
}

test('running agents show in the status bar, then the cost of the finished review', () => {
  const model = new BoardModel();
  assert.equal(model.statusText(), '$(eye) manyeyes');
  model.update(board('r1', false, [agent('t1', 'running'), agent('t2', 'running'), agent('t3', 'queued')]));
  assert.equal(model.statusText(), '$(eye) manyeyes: 2 agents running');
  model.update(board('r1', true, [agent('t1', 'done')], { findings: 3, costUsd: 0.0125 }));
  assert.equal(model.statusText(), '$(eye) manyeyes: 3 finding(s), $0.0125');
});

test('cards show each agent with its state, findings, tokens, cost and error', () => {
  const model = new BoardModel();
  model.update(board('r1', false, [
    agent('t1', 'done', { findings: 2, tokens: 1200, costUsd: 0.002 }),
    agent('t2', 'failed', { concern: 'tests', error: 'rate limited (HTTP 429)' }),
  ]));
  const cards = model.cards();
  assert.equal(cards.length, 2);
  assert.equal(cards[0].label, 'security · app.py:1-9');
  assert.deepEqual([cards[0].icon, cards[1].icon], ['check', 'error']);
  assert.equal(cards[0].detail, 'done · 2 finding(s) · 1200 tokens · $0.0020');
  assert.match(cards[1].detail, /failed · 0 finding\(s\) · 0 tokens · \$0.0000 · rate limited \(HTTP 429\)/);
});

test('an extra vote says which voter it is and why its task was escalated', () => {
  const model = new BoardModel();
  model.update(board('r1', false, [
    agent('t1', 'done'),
    agent('t1.v2', 'running', { vote: 2, escalated: 'analyzer hit (B307); calls eval' }),
  ], { phase: 'escalating 1 task(s): 1 more vote(s)' }));
  const [first, vote] = model.cards();
  assert.equal(first.label, 'security · app.py:1-9');
  assert.equal(vote.label, 'security · app.py:1-9 · vote 2');
  assert.match(vote.detail, /^running · escalated: analyzer hit \(B307\); calls eval · 0 finding/);
  assert.equal(model.summary(), 'escalating 1 task(s): 1 more vote(s) · 0 tokens · $0.0000');
});

test('a running review is shown before the last finished one', () => {
  const model = new BoardModel();
  model.update(board('r1', true, [agent('t1', 'done')]));
  model.update(board('r2', false, [agent('t9', 'running')]));
  assert.equal(model.current()?.reviewId, 'r2');
  model.update(board('r2', true, [agent('t9', 'done')]));
  assert.equal(model.current()?.reviewId, 'r2');
});

test('queued and running agents of a running review can be cancelled, finished ones cannot', () => {
  const model = new BoardModel();
  model.update(board('r1', false, [agent('t1', 'running'), agent('t2', 'queued'), agent('t3', 'done')],
    { percentage: 33, findings: 1 }));
  assert.deepEqual(model.cards().map((c) => [c.reviewId, c.agentId, c.cancellable]),
    [['r1', 't1', true], ['r1', 't2', true], ['r1', 't3', false]]);
  assert.equal(model.summary(), '33% · 1 finding(s) so far · 0 tokens · $0.0000');
  model.update(board('r1', false, [agent('t1', 'done')], { percentage: 100, phase: 'verifying 1 finding(s)' }));
  assert.equal(model.summary(), 'verifying 1 finding(s) · 0 tokens · $0.0000');
  model.update(board('r1', true, [agent('t1', 'cancelled'), agent('t2', 'cancelled')], { message: 'cancelled' }));
  assert.deepEqual(model.cards().map((c) => c.cancellable), [false, false]);
  assert.equal(model.summary(), 'cancelled · 0 tokens · $0.0000');
  assert.equal(model.received, 3);
});

test('verification is a card after the agents: running while it runs, then its counts and rejections', () => {
  const model = new BoardModel();
  model.update(board('r1', false, [agent('t1', 'done')]));
  assert.equal(model.verificationCard(), undefined);
  model.update(board('r1', false, [agent('t1', 'done')], { phase: 'verifying 2 finding(s)' }));
  assert.deepEqual(model.verificationCard(),
    { reviewId: 'r1', label: 'verification', detail: 'verifying 2 finding(s)', icon: 'sync~spin', rejected: [] });
  const rejected = { uri: 'file:///w/app.py', path: 'app.py', line: 3, title: 'Rename cmd', reason: 'a fine name' };
  model.update(board('r1', true, [agent('t1', 'done')], {
    message: '1 finding(s), 1 rejected by verification',
    verification: { checked: 2, confirmed: 1, rejected: [rejected], errors: [], tokens: 300, costUsd: 0.0001 },
  }));
  const card = model.verificationCard();
  assert.equal(card?.detail, '2 checked · 1 confirmed · 1 rejected · 300 tokens · $0.0001');
  assert.equal(card?.icon, 'verified');
  assert.deepEqual(card?.rejected,
    [{ label: 'app.py:4 Rename cmd', detail: 'rejected: a fine name', uri: 'file:///w/app.py', line: 3 }]);
  model.update(board('r2', true, [agent('t9', 'done')], { message: '0 finding(s)', verification: null }));
  assert.equal(model.verificationCard(), undefined); // nothing needed checking
});
