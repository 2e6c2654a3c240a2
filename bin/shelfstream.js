#!/usr/bin/env node
'use strict';
// The `shelfstream` command. The TypeScript sources are compiled to dist/ by `npm run build`
// (the Makefile does it before every target that needs the CLI).
try {
  require('../dist/cli/main.js');
} catch (error) {
  if (error && error.code === 'MODULE_NOT_FOUND' && String(error.message).includes('dist/cli/main.js')) {
    console.error('shelfstream is not built yet: run `make setup` (or `npm ci && npm run build`) first.');
    process.exit(2);
  }
  throw error;
}
