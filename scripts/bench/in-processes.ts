import cluster from 'node:cluster';

/**
 * Runs `serve` in BENCH_PROCESSES processes sharing one port (node:cluster), as the API runs, so each
 * yardstick gets the same cores; SIGTERM stops them all.
 */
export function inProcesses(serve: () => Promise<void> | void): void {
  const processes = Number(process.env.BENCH_PROCESSES ?? 1);
  if (cluster.isPrimary && processes > 1) {
    for (let i = 0; i < processes; i += 1) cluster.fork();
    process.once('SIGTERM', () => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
      process.exit(0);
    });
    return;
  }
  Promise.resolve(serve()).catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
}
