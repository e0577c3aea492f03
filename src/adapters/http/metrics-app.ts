import type { RequestListener } from 'node:http';

/**
 * The metrics listener's requests: GET /metrics in Prometheus text, everything else 404. It runs on its own
 * port (METRICS_PORT), which stays on the private network: the public port serves no metrics.
 */
export function metricsListener(text: () => Promise<string>, contentType: string): RequestListener {
  return (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"status":false,"errorCode":"NOT_FOUND"}');
      return;
    }
    text().then(
      (body) => {
        res.writeHead(200, { 'content-type': contentType });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      () => {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end('{"status":false,"errorCode":"SERVICE_UNAVAILABLE"}');
      },
    );
  };
}
