#!/usr/bin/env node
'use strict';
const { main } = require('../dist/cli/main.js');
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`tickwire: ${error && error.message ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
