#!/usr/bin/env node
// The `ekort` command: its bundle in out/ while fresh, else the sources (bin/built.js).
'use strict';
const { endOnClosedOutput, loadProgram } = require('./built.js');

endOnClosedOutput();

async function run() {
  // `ekort serve` from its own bundle, with V8's code cache (tools/bundle-cli.mjs); the other
  // commands from chunks that load only what the command needs.
  const program = process.argv[2] === 'serve' ? { dir: 'serve', bundle: 'ekort.cjs' } : { dir: 'cli', bundle: 'main.js' };
  const { main } = await loadProgram({ name: 'ekort', ...program, source: 'src/cli/main.ts' });
  const interrupted = new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const io = {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    interrupted,
  };
  process.exitCode = await main(process.argv.slice(2), io);
  // Long-running commands have closed their handles by now; nothing should keep the process.
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  // Except a native call nobody can cancel: pcsclite's SCardTransmit to a card that stopped
  // answering runs on in libuv's thread pool after the command gave up on it, and process.exit()
  // would join that thread and hang with it. The command has answered (its error said so): end
  // the process without waiting for the card.
  setTimeout(() => {
    process.stderr.write('ekort: a PC/SC call to the card is still pending; ending without waiting for it\n');
    process.kill(process.pid, 'SIGKILL');
  }, 2000).unref();
}

run();
