import type { RequestListener } from 'node:http';

export interface OpsAnswer {
  status: number;
  contentType: string;
  body: string;
}

/** GET (or HEAD) paths of an operations listener, each answering from what it computes when asked. */
export type OpsRoutes = Readonly<Record<string, () => Promise<OpsAnswer>>>;

const NOT_FOUND = '{"status":false,"errorCode":"NOT_FOUND","errorMessage":"No such route."}';
const UNAVAILABLE = '{"status":false,"errorCode":"SERVICE_UNAVAILABLE","errorMessage":"Could not be computed."}';

/**
 * A listener for operators' machines (Prometheus, an orchestrator's probes): a few exact GET paths,
 * everything else 404. It runs on a port of its own, which stays on the private network.
 */
export function opsListener(routes: OpsRoutes): RequestListener {
  return (req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (route === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(NOT_FOUND);
      return;
    }
    route().then(
      ({ status, contentType, body }) => {
        res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      () => {
        res.writeHead(503, { 'content-type': 'application/json' }).end(UNAVAILABLE);
      },
    );
  };
}

/** GET /metrics in Prometheus text, nothing else (the API's metrics port). */
export function metricsListener(text: () => Promise<string>, contentType: string): RequestListener {
  return opsListener({ '/metrics': async () => ({ status: 200, contentType, body: await text() }) });
}
