import type { LocalService } from '../../scripts/lib/local-services';

export default async function globalTeardown(): Promise<void> {
  const started = (globalThis as { __promoServices?: LocalService[] }).__promoServices ?? [];
  await Promise.all(started.map((service) => service.remove()));
}
