import type { Job } from 'bullmq';

import { isRequestId, withRequestContext } from '../src/request-context';

/** Runs `work` in the context of the request that queued the job, so its log lines carry that request's id. */
export function inJobContext<T>(data: { requestId?: unknown }, work: () => Promise<T>): Promise<T> {
  return isRequestId(data.requestId) ? withRequestContext({ requestId: data.requestId }, work) : work();
}

/** A job that failed and will not be tried again: its attempts are spent, or its error is unrecoverable. */
export function isFinalFailure(job: Job, error: Error): boolean {
  return error.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
}
