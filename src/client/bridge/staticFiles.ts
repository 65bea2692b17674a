/** GET /*: the built renderer's files, below its folder only (no listings, no symlinks out), HTML with the renderer's CSP. */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { RENDERER_CSP } from '../csp.ts';
import type { BridgeContext } from './context.ts';
import { forbiddenPath, notFound, refuse, unrouted } from './refusals.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

export function staticFilesRoute(app: FastifyInstance, staticRoot: string | undefined, bridge: BridgeContext): void {
  app.route({
    method: ['GET', 'HEAD'],
    url: '/*',
    handler: async (request, reply) => {
      const url = bridge.urlOf(request);
      if (url.pathname.startsWith('/api/')) throw unrouted(url.pathname);
      if (!staticRoot) throw notFound();
      let rel: string;
      try {
        rel = decodeURIComponent(url.pathname);
      } catch {
        throw refuse(400, 'BAD_REQUEST', 'The URL is not valid.');
      }
      if (rel.includes('\0') || rel.includes('\\') || rel.split('/').some((seg) => seg === '..')) throw forbiddenPath();
      if (rel === '/' || rel === '') rel = '/index.html';
      const file = path.resolve(staticRoot, `.${rel}`);
      if (!file.startsWith(staticRoot + path.sep)) throw forbiddenPath();
      const real = await realpath(file).catch(() => undefined);
      if (real === undefined || !real.startsWith(staticRoot + path.sep) || !(await stat(real).then((s) => s.isFile(), () => false))) throw notFound();
      const ext = path.extname(real).toLowerCase();
      if (ext === '.html') reply.header('content-security-policy', RENDERER_CSP);
      return reply.type(TYPES[ext] ?? 'application/octet-stream').send(createReadStream(real));
    },
  });
}
