#!/usr/bin/env node
'use strict';
const { main } = require('../dist/cli/main.js');
// `tickwire replay | head` closes our stdout early: that ends the run, quietly.
process.stdout.on('error', (error) => {
  if (error && error.code === 'EPIPE') process.exit(0);
  throw error;
});
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`tickwire: ${error && error.message ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
