import { Agent, request } from 'node:http';

import { z } from 'zod';

import { parseCli, progress, runCli } from './lib/cli';
import { DEMO_PASSWORD } from './seed';

const HELP = `usage: npm run burst -- [--url http://127.0.0.1:3000] [--users 1000] [--campaign demo] [--connections 200]

Fires one login for each of user1..user<users> at once against a running service (npm run dev), prints
how the answers split, then asks every winner for their vouchers until all are issued (or 60 s pass).`;

const argsSchema = z.object({
  url: z.url().default('http://127.0.0.1:3000'),
  users: z.coerce.number().int().min(1).max(100_000).default(1_000),
  campaign: z.string().default('demo'),
  connections: z.coerce.number().int().min(1).max(2_000).default(200),
  password: z.string().default(DEMO_PASSWORD),
});

interface Reply {
  errorCode?: string | null;
  campaigns?: { outcome: string }[];
  vouchers?: { campaignId: string; status: string }[];
}

function call(
  agent: Agent,
  method: string,
  url: string,
  body?: unknown,
  auth?: string,
): Promise<{ status: number; json: Reply | null }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = payload === undefined ? {} : { 'content-type': 'application/json' };
    if (auth !== undefined) headers.authorization = `Basic ${Buffer.from(auth).toString('base64')}`;
    const req = request(url, { method, agent, headers }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, json: text === '' ? null : (JSON.parse(text) as Reply) }),
      );
    });
    req.on('error', reject);
    req.end(payload);
  });
}

runCli(async () => {
  const args = parseCli(
    process.argv.slice(2),
    {
      url: { type: 'string' },
      users: { type: 'string' },
      campaign: { type: 'string' },
      connections: { type: 'string' },
      password: { type: 'string' },
    },
    argsSchema,
    HELP,
  );
  if (args === null) return;
  const agent = new Agent({ keepAlive: true, maxSockets: args.connections });
  const accounts = Array.from({ length: args.users }, (_, i) => `user${i + 1}`);
  const report = progress('logins');
  let done = 0;
  const started = Date.now();
  const replies = await Promise.all(
    accounts.map(async (account) => {
      const reply = await call(agent, 'POST', `${args.url}/api/login-campaign`, {
        account,
        password: args.password,
        campaignId: args.campaign,
      });
      report(++done, accounts.length);
      return { account, ...reply };
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  const outcomes = new Map<string, number>();
  for (const { status, json } of replies) {
    const key = status === 200 ? String(json?.campaigns?.[0]?.outcome) : `HTTP ${status} ${json?.errorCode ?? ''}`;
    outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  }
  console.log(
    `${replies.length} logins in ${seconds.toFixed(1)} s: ${[...outcomes].map(([k, v]) => `${k} ${v}`).join(', ')}`,
  );

  const winners = replies.filter((r) => r.json?.campaigns?.[0]?.outcome === 'won').map((r) => r.account);
  const deadline = Date.now() + 60_000;
  let issued = 0;
  while (Date.now() < deadline) {
    const lists = await Promise.all(
      winners.map((account) =>
        call(agent, 'GET', `${args.url}/api/vouchers`, undefined, `${account}:${args.password}`),
      ),
    );
    issued = lists.filter((l) =>
      l.json?.vouchers?.some((v) => v.campaignId === args.campaign && v.status === 'issued'),
    ).length;
    if (issued === winners.length) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  console.log(`winners: ${winners.length}; vouchers issued to them: ${issued}`);
  agent.destroy();
  if (issued !== winners.length) throw new Error('not every winner has an issued voucher yet');
});
