import { createLogger } from '../../../src/logger';
import { exitOnFatalErrors } from '../../../src/startup';

/** A process that meets an error nobody handles, as `argv[2]` says: `throw` or `reject`. */
exitOnFatalErrors('fixture', createLogger('info', 'fixture'));
createLogger('info', 'fixture').info({}, 'started');
setTimeout(() => {
  if (process.argv[2] === 'throw') throw new Error('thrown from a timer');
  void Promise.reject(new Error('rejected with nobody listening'));
}, 10);
setTimeout(() => {}, 5_000); // would keep running without the handlers
