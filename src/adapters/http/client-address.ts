import { isIP } from 'node:net';

import type { Middleware } from 'koa';

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

/** An IPv4-mapped IPv6 address (::ffff:203.0.113.9) is the IPv4 address it carries. */
function normalize(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped?.[1] ?? address.toLowerCase();
}

/**
 * The client's address. With a trusted proxy: the X-Forwarded-For entry `hops` places from the right (the
 * leftmost entries are the client's own writing), and only when it parses as an IP address; otherwise, or
 * without a trusted proxy, the socket's peer. So no header can make up an address, or a rate-limit key.
 */
export function clientAddress(forwardedFor: string | undefined, socketAddress: string | undefined, trust: ProxyTrust) {
  const peer = normalize(socketAddress ?? '');
  if (!trust.trusted || forwardedFor === undefined || forwardedFor === '') return peer;
  const entries = forwardedFor.split(',').map((entry) => entry.trim());
  const candidate = entries[Math.max(0, entries.length - trust.hops)] ?? '';
  return isIP(candidate) === 0 ? peer : normalize(candidate);
}

/** Puts the client's address in ctx.state.clientIp for the routes (they never read ctx.ip). */
export function resolveClientAddress(trust: ProxyTrust): Middleware {
  return async (ctx, next) => {
    ctx.state.clientIp = clientAddress(ctx.get('x-forwarded-for') || undefined, ctx.req.socket.remoteAddress, trust);
    await next();
  };
}
