#!/usr/bin/env node
/** `ymir`: React's production build unless asked otherwise (the development build is slow), then the CLI. */
process.env.NODE_ENV ??= 'production';
await import('./cli.js');
