/**
 * A rough strength estimate for secrets an operator types into the environment: the length times the
 * entropy of the string's own character frequencies. It cannot tell a random string from a clever
 * pattern, but it does catch what people actually paste in: one character repeated, a short unit
 * repeated, a dictionary default with a trailing space.
 */
export function estimatedBits(secret: string): number {
  const counts = new Map<string, number>();
  for (const character of secret) counts.set(character, (counts.get(character) ?? 0) + 1);
  const length = [...secret].length;
  let perCharacter = 0;
  for (const count of counts.values()) {
    const p = count / length;
    perCharacter -= p * Math.log2(p);
  }
  return length * perCharacter;
}

/** True when the secret is a shorter unit written out again and again ("abcabcabc"). */
export function isRepetition(secret: string): boolean {
  return /^([\s\S]+?)\1+$/.test(secret);
}

/** The reasons a secret is too weak for production, or none. */
export function weaknesses(secret: string, rule: { minLength: number; minBits: number }): string[] {
  const found: string[] = [];
  if (secret !== secret.trim()) found.push('no leading or trailing spaces');
  if (secret.length < rule.minLength) found.push(`at least ${rule.minLength} characters`);
  else if (isRepetition(secret) || estimatedBits(secret) < rule.minBits) {
    found.push('more varied characters (it repeats itself or uses too few different ones)');
  }
  return found;
}
