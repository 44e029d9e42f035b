import { createHash, timingSafeEqual } from 'node:crypto';

/** Why a presented credential was refused: the label of the failures metric. */
export type TokenRefusal = 'missing' | 'malformed' | 'invalid';

/** RFC 6750 §2.1: `Bearer` (any case), one or more spaces, then a token68. */
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * Checks an `Authorization` header against the admin token. Both sides are hashed
 * first, so the comparison is constant-time over equal-length digests and neither the
 * token's length nor its content leaks through timing.
 */
export function adminTokenMatcher(token: string): (authorization: string | undefined) => TokenRefusal | undefined {
  const expected = digest(token);
  return function refusalOf(authorization) {
    if (authorization === undefined || authorization.trim() === '') return 'missing';
    const match = BEARER.exec(authorization);
    if (match === null) return 'malformed';
    return timingSafeEqual(digest(match[1] as string), expected) ? undefined : 'invalid';
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
