/** What the bridge's routes share: its own origin, the dev server's, the token check. */
import type { FastifyRequest } from 'fastify';
import { tokenMatches } from './refusals.ts';

export interface BridgeContext {
  /** http://127.0.0.1:PORT, once listening. */
  own(): string;
  /** The Vite dev server's origin, the only one that gets CORS headers. */
  devOrigin: string | undefined;
  cors(origin: string | undefined): Record<string, string>;
  tokenOk(given: unknown): boolean;
  urlOf(request: FastifyRequest): URL;
}

export function bridgeContext(token: string, devOrigin: string | undefined, port: () => number): BridgeContext {
  const expected = Buffer.from(token, 'utf8');
  const own = (): string => `http://127.0.0.1:${port()}`;
  return {
    own,
    devOrigin,
    cors: (origin): Record<string, string> => (devOrigin !== undefined && origin === devOrigin ? { 'access-control-allow-origin': devOrigin, vary: 'Origin' } : {}),
    tokenOk: (given) => tokenMatches(expected, given),
    urlOf: (request) => new URL(request.url, own()),
  };
}
