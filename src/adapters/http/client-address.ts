import { isIP } from 'node:net';

import type { Middleware } from 'koa';

import { normalizeAddress } from '../ip-address';

/** How far X-Forwarded-For is believed. */
export interface ProxyTrust {
  /** Behind a reverse proxy that appends the peer's address to X-Forwarded-For. */
  trusted: boolean;
  /**
   * How many proxies of ours append to the header (a CDN in front of a load balancer is 2). The client's
   * address is the entry this many places from the right: everything left of it the client wrote itself.
   */
  hops: number;
}

/**
 * The client's address. With a trusted proxy: the X-Forwarded-For entry `hops` places from the right (the
 * leftmost entries are the client's own writing), and only when it parses as an IP address; otherwise, or
 * without a trusted proxy, the socket's peer. So no header can make up an address, or a rate-limit key.
 */
export function clientAddress(forwardedFor: string | undefined, socketAddress: string | undefined, trust: ProxyTrust) {
  const peer = normalizeAddress(socketAddress ?? '');
  if (!trust.trusted || forwardedFor === undefined || forwardedFor === '') return peer;
  const entries = forwardedFor.split(',').map((entry) => entry.trim());
  const candidate = entries[Math.max(0, entries.length - trust.hops)] ?? '';
  return isIP(candidate) === 0 ? peer : normalizeAddress(candidate);
}

/** Puts the client's address in ctx.state.clientIp for the routes (they never read ctx.ip). */
export function resolveClientAddress(trust: ProxyTrust): Middleware {
  return async (ctx, next) => {
    ctx.state.clientIp = clientAddress(ctx.get('x-forwarded-for') || undefined, ctx.req.socket.remoteAddress, trust);
    await next();
  };
}
