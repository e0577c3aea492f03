/**
 * A rough strength check for secrets an operator types into the environment. It cannot tell a random
 * string from a clever pattern, but it catches what people actually paste in: a default or example value
 * (also with its case or punctuation changed), one character or a short unit repeated, a run like
 * "abcdef" or "123456", a common password, invisible characters.
 */

/** Well-known words and defaults, compared on the secret lower-cased with everything but letters and digits removed. */
const KNOWN = [
  'admindevpassword',
  'promodemopassword',
  'password',
  'passw0rd',
  'changeme',
  'secret',
  'letmein',
  'welcome',
  'default',
  'example',
  'administrator',
  'qwerty',
  'asdfgh',
  'zxcvbn',
  'iloveyou',
  'quickbrownfox',
  'lazydog',
  'loremipsum',
];

/** The length times the entropy of the string's own character frequencies, in bits. */
export function estimatedBits(secret: string): number {
  const characters = [...secret];
  const counts = new Map<string, number>();
  for (const character of characters) counts.set(character, (counts.get(character) ?? 0) + 1);
  let perCharacter = 0;
  for (const count of counts.values()) {
    const p = count / characters.length;
    perCharacter -= p * Math.log2(p);
  }
  return characters.length * perCharacter;
}

/** True when some stretch of `length` characters appears twice ("abcabc", "my-secret-my-secret"). */
export function repeatsItself(secret: string, length = 6): boolean {
  const seen = new Set<string>();
  for (let i = 0; i + length <= secret.length; i += 1) {
    const part = secret.slice(i, i + length);
    if (seen.has(part)) return true;
    seen.add(part);
  }
  return false;
}

/** The longest run of characters whose codes go up or down by one ("abcde", "54321"). */
export function longestSequence(secret: string): number {
  let longest = 1;
  let up = 1;
  let down = 1;
  for (let i = 1; i < secret.length; i += 1) {
    const step = secret.charCodeAt(i) - secret.charCodeAt(i - 1);
    up = step === 1 ? up + 1 : 1;
    down = step === -1 ? down + 1 : 1;
    longest = Math.max(longest, up, down);
  }
  return secret.length === 0 ? 0 : longest;
}

export interface SecretRule {
  minLength: number;
  minBits: number;
}

/** The reasons a secret is too weak for production, or none. */
export function weaknesses(secret: string, rule: SecretRule): string[] {
  const found: string[] = [];
  if (secret !== secret.trim()) found.push('no leading or trailing spaces');
  if (/[\p{Cc}\p{Cf}]/u.test(secret)) found.push('no control or invisible characters');
  if (secret.length < rule.minLength) {
    found.push(`at least ${rule.minLength} characters`);
    return found;
  }
  const plain = secret.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (KNOWN.some((word) => plain.includes(word))) found.push('no well-known word, default or example value');
  if (longestSequence(secret) >= 5) found.push('no run like "abcde" or "12345"');
  if (repeatsItself(secret) || estimatedBits(secret) < rule.minBits) {
    found.push('more varied characters (it repeats itself or uses too few different ones)');
  }
  return found;
}
