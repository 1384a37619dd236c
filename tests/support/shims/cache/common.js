// Shared by the cache stand-in's restore (main) and save (post) steps.
const fs = require('fs');
const path = require('path');

const input = (name) => (process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] || '').trim();
const lines = (text) => text.split('\n').map((s) => s.trim()).filter(Boolean);
const store = () => {
  const root = process.env.ACT_SHIM_STORE;
  if (!root) throw new Error('ACT_SHIM_STORE is not set: the cache stand-in needs a store directory');
  return path.join(root, 'cache');
};
const workspace = () => process.env.GITHUB_WORKSPACE || process.cwd();
const entryDir = (key) => path.join(store(), encodeURIComponent(key));
const append = (file, text) => fs.appendFileSync(process.env[file], text + '\n');

module.exports = { fs, path, input, lines, store, workspace, entryDir, append };
