const fs = require('fs');
const path = require('path');

const input = (name) => (process.env[`INPUT_${name.replace(/-/g, '_').toUpperCase()}`] || process.env[`INPUT_${name.toUpperCase()}`] || '').trim();
const fail = (message) => { console.log(`::error::${message}`); process.exit(1); };
const workspace = process.env.GITHUB_WORKSPACE || process.cwd();
const runId = input('run-id');
if (runId && !input('github-token')) fail('Inputs `github-token` and `run-id` must be provided together');
const name = input('name') || fail('this stand-in downloads one artifact by name');
const source = path.join(process.env.ACT_SHIM_STORE || fail('ACT_SHIM_STORE is not set'), 'artifacts',
  runId || process.env.GITHUB_RUN_ID || '1', name);
if (!fs.existsSync(source)) fail(`Unable to download artifact(s): Artifact not found for name: ${name}`);
const target = path.resolve(workspace, input('path') || '.');
fs.cpSync(source, target, { recursive: true });
console.log(`Artifact ${name} downloaded to ${target}`);
fs.appendFileSync(process.env.GITHUB_OUTPUT, `download-path=${target}\n`);
