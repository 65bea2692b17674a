#!/usr/bin/env node
// Runs the TypeScript CLI straight from the checkout (tsx), so `npx ekort` works after `npm ci`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
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
