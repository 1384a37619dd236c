const { fs, path, input, lines, store, workspace, entryDir, append } = require('./common');

const key = input('key');
const paths = lines(input('path'));
let hit = null;
let exact = false;
if (fs.existsSync(entryDir(key))) {
  hit = key;
  exact = true;
} else if (fs.existsSync(store())) {
  const entries = fs.readdirSync(store()).map(decodeURIComponent);
  for (const prefix of lines(input('restore-keys'))) {
    const matches = entries
      .filter((name) => name.startsWith(prefix))
      .sort((a, b) => fs.statSync(entryDir(b)).mtimeMs - fs.statSync(entryDir(a)).mtimeMs);
    if (matches.length) { hit = matches[0]; break; }
  }
}
if (hit) {
  paths.forEach((p, index) => {
    const source = path.join(entryDir(hit), String(index));
    if (fs.existsSync(source)) fs.cpSync(source, path.resolve(workspace(), p), { recursive: true });
  });
  console.log(`Cache restored from key: ${hit}`);
} else {
  console.log(`Cache not found for input keys: ${[key, ...lines(input('restore-keys'))].join(', ')}`);
}
append('GITHUB_OUTPUT', `cache-hit=${exact}`);
append('GITHUB_STATE', `exact=${exact}`);
append('GITHUB_STATE', `key=${key}`);
