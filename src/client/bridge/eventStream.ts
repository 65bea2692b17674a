/** GET /api/events: the agent's events as a text/event-stream, a comment ping every `pingMs`. */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { AgentEvent } from '../api.ts';
import type { BridgeContext } from './context.ts';
import { BASE_HEADERS, badToken, refuse } from './refusals.ts';

export interface EventSource {
  subscribe(listener: (event: AgentEvent) => void): () => void;
}

/** Registers the route; the returned set holds the open streams, for close() to end them. */
export function eventStreamRoute(app: FastifyInstance, agent: EventSource, bridge: BridgeContext, pingMs: number): Set<ServerResponse> {
  const streams = new Set<ServerResponse>();
  app.get('/api/events', (request, reply) => {
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== bridge.own() && origin !== bridge.devOrigin) throw refuse(403, 'FORBIDDEN_ORIGIN', 'Events are served to the e-kort page only.');
    reply.headers(bridge.cors(origin));
    if (!bridge.tokenOk(bridge.urlOf(request).searchParams.get('token'))) throw badToken();
    // The stream is written by hand from here on; fastify's reply is done with.
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { ...BASE_HEADERS, ...bridge.cors(origin), 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(': connected\n\n');
    streams.add(res);
    const unsubscribe = agent.subscribe((event) => {
      if (!res.writableEnded) res.write(`data: ${JSON.stringify(event)}\n\n`);
    });
    const ping = setInterval(() => {
      if (!res.writableEnded) res.write(': ping\n\n');
    }, pingMs);
    ping.unref();
    const done = (): void => {
      clearInterval(ping);
      unsubscribe();
      streams.delete(res);
    };
    request.raw.on('close', done);
    res.on('close', done);
  });

  return streams;
}
