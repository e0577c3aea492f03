import { ScryptPasswordHasher } from '../../src/adapters/crypto/scrypt-password-hasher';

describe('ScryptPasswordHasher', () => {
  const hasher = new ScryptPasswordHasher({ logN: 10, r: 8, p: 1 });

  test('stores its parameters in a PHC string with a fresh salt each time', async () => {
    const a = await hasher.hash('secret');
    const b = await hasher.hash('secret');
    expect(a).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(a).not.toBe(b);
  });

  test('verifies the right password only', async () => {
    const stored = await hasher.hash('secret');
    expect(await hasher.verify('secret', stored)).toBe(true);
    expect(await hasher.verify('Secret', stored)).toBe(false);
    // One character inside the key changed (the last one also carries padding bits, which decode to nothing).
    const at = stored.length - 10;
    const tampered = `${stored.slice(0, at)}${stored[at] === 'A' ? 'B' : 'A'}${stored.slice(at + 1)}`;
    expect(await hasher.verify('secret', tampered)).toBe(false);
    expect(await hasher.verify('secret', 'not-a-hash')).toBe(false);
  });

  test('hashes made at an older cost still verify after the cost is raised', async () => {
    const old = await hasher.hash('secret');
    const stronger = new ScryptPasswordHasher({ logN: 12, r: 8, p: 1 });
    expect(await stronger.verify('secret', old)).toBe(true);
    expect(await stronger.hash('secret')).toMatch(/^\$scrypt\$ln=12,/);
  });

  test('the production cost (N = 2^15, exactly 32 MiB) works: maxmem is raised for it', async () => {
    const production = new ScryptPasswordHasher({ logN: 15, r: 8, p: 1 });
    expect(await production.verify('secret', await production.hash('secret'))).toBe(true);
  });
});
