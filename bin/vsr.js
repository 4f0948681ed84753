#!/usr/bin/env node
// Thin launcher: the CLI is compiled TypeScript under dist/ (built by `npm run build` / scripts/setup.sh).
const path = require('node:path');
const fs = require('node:fs');
const main = path.join(__dirname, '..', 'dist', 'app', 'cli', 'main.js');
if (!fs.existsSync(main)) {
  console.error('vsr is not built yet: run `npm run setup` (or `npm run build`) in ' + path.join(__dirname, '..'));
  process.exit(2);
}
require(main);
