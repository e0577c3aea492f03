import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/**
 * What every log line of one request (or of one job a request caused) carries: the request id. Kept in
 * async-local storage so that code deep in a use case logs it without being handed it.
 */
export interface RequestContext {
  requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** A client's X-Request-Id is kept when it is 1–128 characters of A-Z a-z 0-9 . _ : - (nothing to inject). */
const ACCEPTED_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request id to use for a request: the one it brought when acceptable, else a fresh UUID. */
export function requestIdFrom(header: string | undefined): string {
  return header !== undefined && ACCEPTED_ID.test(header) ? header : randomUUID();
}

/** Runs `work` with `context` as the current request context. */
export function withRequestContext<T>(context: RequestContext, work: () => T): T {
  return storage.run(context, work);
}

/** The current request's id, or undefined outside any request or job. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

/** An id acceptable as a request id (for ids carried in job data, which a client may have chosen). */
export function isRequestId(value: unknown): value is string {
  return typeof value === 'string' && ACCEPTED_ID.test(value);
}
