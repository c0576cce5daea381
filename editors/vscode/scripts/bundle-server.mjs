// Puts the wheel of the server (this checkout's manyeyes, the extension's own version) into server/, where the
// packaged extension installs it from on first start (src/launch.ts). Run by `npm run package`.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const extension = path.join(here, '..');
const project = path.join(extension, '..', '..');
const out = path.join(extension, 'server');
const python = process.env.PYTHON || (process.platform === 'win32' ? 'python' : 'python3');

fs.rmSync(out, { recursive: true, force: true });
execFileSync(python, ['-m', 'pip', 'wheel', '--quiet', '--no-deps', '--wheel-dir', out, project], { stdio: 'inherit' });
const version = JSON.parse(fs.readFileSync(path.join(extension, 'package.json'), 'utf8')).version;
const wheels = fs.readdirSync(out);
if (!wheels.some((name) => name.startsWith(`manyeyes-${version}-`))) {
  console.error(`bundle-server: expected manyeyes-${version}-*.whl, pip made ${wheels.join(', ')}`);
  process.exit(1);
}
console.log(`bundle-server: ${wheels.join(', ')}`);
