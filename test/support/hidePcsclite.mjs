// Preloaded with `node --import`: Node's resolver answers "Cannot find module" for the
// pcsclite binding, as on a machine where npm left the optional binding out (no
// libpcsclite-dev to build it against). Everything else resolves as usual.
import Module from 'node:module';

const resolve = Module._resolveFilename;
Module._resolveFilename = function resolveWithoutPcsclite(request, ...rest) {
  if (request === 'pcsclite' || request.startsWith('pcsclite/')) {
    throw Object.assign(new Error(`Cannot find module '${request}'`), { code: 'MODULE_NOT_FOUND' });
  }
  return resolve.call(this, request, ...rest);
};
