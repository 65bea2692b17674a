#!/usr/bin/env node
// The `ekort` command. Runs the bundle in out/cli (tools/bundle-cli.mjs, made by `npm install`)
// while it is as new as the sources it was made from; otherwise the TypeScript sources through
// tsx, so a checkout being edited always runs what is there.
import { readFileSync, statSync } from 'node:fs';

const root = new URL('..', import.meta.url);

function bundleIsFresh() {
  try {
    const { builtAt, inputs } = JSON.parse(readFileSync(new URL('out/cli/inputs.json', root), 'utf8'));
    return inputs.every((file) => statSync(new URL(file, root)).mtimeMs <= builtAt);
  } catch {
    return false; // no bundle, or a source gone: the sources decide
  }
}

let main;
const fromBundle = process.env.EKORT_FROM_SOURCE !== '1' && bundleIsFresh();
if (process.env.EKORT_DEBUG_START === '1') process.stderr.write(`ekort: running ${fromBundle ? 'the bundle in out/cli' : 'the sources through tsx'}\n`);
if (fromBundle) {
  ({ main } = await import('../out/cli/main.js'));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
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
