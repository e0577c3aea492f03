import { createServer, type RequestListener, type Server } from 'node:http';

export interface ServerTimeouts {
  /** A whole request, headers and body, must have arrived within this (else 408 and the socket closes). */
  requestTimeoutMs: number;
  /** The headers must have arrived within this. */
  headersTimeoutMs: number;
}

/**
 * An HTTP server with bounded slow clients: a client trickling its headers or body holds a socket for
 * seconds, not minutes. Node enforces these timeouts on a timer, checked every second here (its default
 * is every 30 s). Idle keep-alive connections live a little longer than a load balancer's usual 60 s.
 */
export function createHttpServer(listener: RequestListener, timeouts: ServerTimeouts): Server {
  const server = createServer(
    {
      requestTimeout: timeouts.requestTimeoutMs,
      headersTimeout: timeouts.headersTimeoutMs,
      connectionsCheckingInterval: 1_000,
    },
    listener,
  );
  server.keepAliveTimeout = 65_000;
  return server;
}

/**
 * Listens and resolves once bound (port 0: any free port; read it from server.address()). `backlog`:
 * connections waiting to be accepted (Node's default 511; under node:cluster the primary listens with it).
 */
export function listen(server: Server, port: number, host: string, backlog?: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, ...(backlog === undefined ? {} : { backlog }) }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
