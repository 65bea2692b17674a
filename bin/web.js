#!/usr/bin/env node
// `npm run web`: the e-kort app in a normal browser, through the loopback bridge (see
// src/client/bridge/webMain.ts). Prints the URL to open; Ctrl-C or SIGTERM stops it.
// Its bundle in out/web while fresh, else the sources (bin/built.js).
'use strict';
const { endOnClosedOutput, loadProgram, root } = require('./built.js');

endOnClosedOutput();

async function run() {
  const { webMain } = await loadProgram({ name: 'web', dir: 'web', bundle: 'web.cjs', source: 'src/client/bridge/webMain.ts' });
  try {
    process.exitCode = await webMain(process.argv.slice(2), root);
  } catch (error) {
    process.stderr.write(`web: ${error?.message ?? String(error)}\n`);
    process.exitCode = 1;
  }
  // The agent and the bridge are closed; pcsclite's context may still hold the loop briefly.
  setTimeout(() => process.exit(), 200).unref();
}

run();
