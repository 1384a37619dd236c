const fs = require('fs');
const path = require('path');

const input = (name) => (process.env[`INPUT_${name.toUpperCase()}`] || '').trim();
const fail = (message) => { console.log(`::error::${message}`); process.exit(1); };
const workspace = process.env.GITHUB_WORKSPACE || process.cwd();
const name = input('name') || 'artifact';
const store = path.join(process.env.ACT_SHIM_STORE || fail('ACT_SHIM_STORE is not set'), 'artifacts',
  process.env.GITHUB_RUN_ID || '1', name);

const found = input('path').split('\n').map((s) => s.trim()).filter(Boolean)
  .map((p) => path.resolve(workspace, p)).filter((p) => fs.existsSync(p));
if (!found.length) {
  const message = `No files were found with the provided path: ${input('path')}. No artifacts will be uploaded.`;
  if (input('if-no-files-found') === 'error') fail(message);
  if (input('if-no-files-found') !== 'ignore') console.log(`::warning::${message}`);
  process.exit(0);
}
if (fs.existsSync(store)) {
  if (input('overwrite') !== 'true') fail(`Failed to CreateArtifact: an artifact with this name already exists on the workflow run`);
  fs.rmSync(store, { recursive: true, force: true });
}
const dirs = found.map((p) => (fs.statSync(p).isDirectory() ? p : path.dirname(p)));
let root = dirs[0];
while (!dirs.every((d) => d === root || d.startsWith(root + path.sep))) root = path.dirname(root);
const hidden = input('include-hidden-files') === 'true';
for (const p of found) {
  fs.cpSync(p, path.join(store, path.relative(root, p)), {
    recursive: true,
    filter: (src) => hidden || !path.basename(src).startsWith('.') || src === p,
  });
}
console.log(`Artifact ${name} stored in ${store}`);
fs.appendFileSync(process.env.GITHUB_OUTPUT, `artifact-id=${Date.now()}\n`);
