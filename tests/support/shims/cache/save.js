const { fs, path, input, lines, workspace, entryDir } = require('./common');

const key = process.env.STATE_key || input('key');
if (process.env.STATE_exact === 'true') {
  console.log(`Cache hit occurred on the primary key ${key}, not saving cache.`);
} else {
  const target = entryDir(key);
  const staging = `${target}.tmp-${process.pid}`;
  lines(input('path')).forEach((p, index) => {
    const source = path.resolve(workspace(), p);
    if (fs.existsSync(source)) fs.cpSync(source, path.join(staging, String(index)), { recursive: true });
  });
  if (fs.existsSync(staging)) {
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(staging, target);
    console.log(`Cache saved with key: ${key}`);
  } else {
    console.log('Path Validation Error: none of the cache paths exist, not saving cache.');
  }
}
