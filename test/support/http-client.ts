import { Agent, request } from 'node:http';

/** Keep-alive connections, at most 200 at once: a burst queues here instead of exhausting descriptors. */
export const burstAgent = new Agent({ keepAlive: true, maxSockets: 200 });

export interface JsonResponse<T> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
}

/** Sends a JSON request and parses the JSON answer. */
export function sendJson<T>(
  method: string,
  url: string,
  payload?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse<T>> {
  return new Promise((resolve, reject) => {
    const body = payload === undefined ? undefined : JSON.stringify(payload);
    const req = request(
      url,
      {
        method,
        agent: burstAgent,
        headers:
          body === undefined
            ? headers
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          try {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: (text === '' ? undefined : JSON.parse(text)) as T,
            });
          } catch (error) {
            reject(error);
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
