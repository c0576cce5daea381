import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import {
  candidates, environmentName, findPython, LaunchProblem, privateEnvironment, Probe, usesOwnManyeyes,
} from '../launch';

// A fake Python (a shell script): answers the probe with $FAKE_VERSION and $FAKE_MANYEYES, makes a "venv" whose
// python answers the probe with the installed version once pip ran, and records every pip run in $FAKE_LOG.
// $FAKE_VENV=fail makes `-m venv` fail the way Debian's Python without python3-venv does; $FAKE_PIP=fail makes pip
// fail the way it does when the package registry cannot be reached.
const FAKE_PYTHON = `#!/bin/sh
if [ "$1" = "-c" ]; then
  here=$(dirname "$0")
  if [ -f "$here/../installed" ]; then found="\\"$(cat "$here/../installed")\\""; else found="\${FAKE_MANYEYES:-null}"; fi
  echo "{\\"executable\\": \\"$0\\", \\"version\\": [\${FAKE_VERSION:-3,11,2}], \\"manyeyes\\": $found}"
  exit 0
fi
if [ "$1 $2" = "-m venv" ]; then
  if [ "$FAKE_VENV" = "fail" ]; then
    echo "The virtual environment was not created successfully because ensurepip is not available." >&2
    exit 1
  fi
  mkdir -p "$3/bin" && cp "$0" "$3/bin/python" && exit 0
fi
if [ "$1 $2 $3" = "-m pip install" ]; then
  echo "pip $*" >> "$FAKE_LOG"
  echo "Collecting litellm"
  sleep 0.2
  if [ "$FAKE_PIP" = "fail" ]; then
    echo "ERROR: Could not find a version that satisfies the requirement litellm<1.103,>=1.80" >&2
    exit 1
  fi
  echo "0.1.0" > "$(dirname "$0")/../installed"
  exit 0
fi
exit 3
`;

function scratch(): { dir: string; python: string; log: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'manyeyes-launch-'));
  const python = path.join(dir, 'python3');
  fs.writeFileSync(python, FAKE_PYTHON, { mode: 0o755 });
  const log = path.join(dir, 'pip.log');
  process.env.FAKE_LOG = log;
  return { dir, python, log };
}

function withEnv(values: Record<string, string | undefined>, run: () => Promise<void>): Promise<void> {
  const before = Object.fromEntries(Object.keys(values).map((key) => [key, process.env[key]]));
  Object.assign(process.env, values);
  return run().finally(() => {
    for (const [key, value] of Object.entries(before)) {
      if (value === undefined) {
        delete process.env[key];
      } else {
        process.env[key] = value;
      }
    }
  });
}

const quiet = { line: () => undefined, step: () => undefined };
const probe = (executable: string): Probe => ({ executable, version: [3, 11, 2], manyeyes: null });

test('the setting comes first, then the Python extension, then PATH', () => {
  assert.deepEqual(candidates('/opt/py', '/env/py').map((c) => [c.python, c.named]), [['/opt/py', true]]);
  assert.deepEqual(candidates(undefined, '/env/py').map((c) => [c.python, c.named]), [['/env/py', false]]);
  assert.deepEqual(candidates(undefined, undefined, 'linux').map((c) => c.python), ['python3', 'python']);
});

test("a Python's own manyeyes is used at any version when named, only at ours when found", () => {
  const found = { python: 'python3', named: false, origin: 'PATH' };
  const named = { ...found, named: true };
  const old = { ...probe('/usr/bin/python3'), manyeyes: '0.0.9' };
  assert.equal(usesOwnManyeyes(old, named, '0.1.0'), true);
  assert.equal(usesOwnManyeyes(old, found, '0.1.0'), false);
  assert.equal(usesOwnManyeyes({ ...old, manyeyes: '0.1.0' }, found, '0.1.0'), true);
  assert.equal(usesOwnManyeyes(probe('/usr/bin/python3'), named, '0.1.0'), false);
});

test('a Python too old, and no Python at all, each get one message that says what to do', async () => {
  const { dir, python } = scratch();
  await withEnv({ FAKE_VERSION: '3,8,10' }, async () => {
    await assert.rejects(findPython([{ python, named: true, origin: 'manyeyes.server.python' }], dir),
      (error: Error) => error instanceof LaunchProblem && /needs Python 3\.10 or newer; .* is 3\.8/.test(error.message));
  });
  await assert.rejects(findPython([{ python: path.join(dir, 'nope'), named: false, origin: 'PATH' }], dir),
    (error: Error) => error instanceof LaunchProblem && /none runs here \(tried .*nope \(PATH\)\)/.test(error.message));
});

test('the first start makes the environment once; later starts reuse it', async () => {
  const { dir, python, log } = scratch();
  const storage = path.join(dir, 'storage');
  fs.mkdirSync(path.join(storage, 'envs', '0.0.9-abc'), { recursive: true }); // an older version's environment
  const steps: string[] = [];
  const made = await privateEnvironment(storage, '0.1.0', probe(python), '/x/manyeyes-0.1.0-py3-none-any.whl',
    { line: () => undefined, step: (text) => steps.push(text) });
  assert.equal(made, path.join(storage, 'envs', environmentName('0.1.0', probe(python)), 'bin', 'python'));
  assert.match(fs.readFileSync(log, 'utf8'), /pip -m pip install --disable-pip-version-check \/x\/manyeyes-0\.1\.0-py3-none-any\.whl\[semgrep\]/);
  assert.ok(steps.includes('Collecting litellm'), steps.join(' | '));
  assert.deepEqual(fs.readdirSync(path.join(storage, 'envs')), [environmentName('0.1.0', probe(python))]);
  assert.equal(await privateEnvironment(storage, '0.1.0', probe(python), '/x/w.whl', quiet), made);
  assert.equal(fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).length, 1, 'pip ran again');
});

test('two windows starting at once install once', async () => {
  const { dir, python, log } = scratch();
  const storage = path.join(dir, 'storage');
  const both = await Promise.all([1, 2].map(() => privateEnvironment(storage, '0.1.0', probe(python), '/x/w.whl', quiet)));
  assert.equal(both[0], both[1]);
  assert.equal(fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).length, 1);
});

test('a registry that cannot be reached: one message, nothing half-made left', async () => {
  const { dir, python } = scratch();
  const storage = path.join(dir, 'storage');
  await withEnv({ FAKE_PIP: 'fail' }, async () => {
    await assert.rejects(privateEnvironment(storage, '0.1.0', probe(python), '/x/w.whl', quiet), (error: Error) =>
      error instanceof LaunchProblem && /Could not find a version that satisfies/.test(error.message)
      && /package registry/.test(error.message));
  });
  assert.deepEqual(fs.readdirSync(path.join(storage, 'envs')), []);
  await privateEnvironment(storage, '0.1.0', probe(python), '/x/w.whl', quiet); // the next start tries again
});

test('a Python that cannot make environments is named, with the package that fixes it', async () => {
  const { dir, python } = scratch();
  await withEnv({ FAKE_VENV: 'fail' }, async () => {
    await assert.rejects(privateEnvironment(path.join(dir, 'storage'), '0.1.0', probe(python), '/x/w.whl', quiet),
      (error: Error) => error instanceof LaunchProblem && /ensurepip is not available/.test(error.message)
        && (process.platform !== 'linux' || /python3-venv/.test(error.message)));
  });
});
