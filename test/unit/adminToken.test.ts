import { adminTokenMatcher } from '../../src/adminToken';

describe('adminTokenMatcher', () => {
  const check = adminTokenMatcher('s3cret-admin-token-0123');

  it.each([
    ['Bearer s3cret-admin-token-0123', undefined],
    ['bearer s3cret-admin-token-0123', undefined],
    ['BEARER   s3cret-admin-token-0123 ', undefined],
    [undefined, 'missing'],
    ['', 'missing'],
    ['   ', 'missing'],
    ['s3cret-admin-token-0123', 'malformed'],
    ['Basic czNjcmV0OnRva2Vu', 'malformed'],
    ['Bearer', 'malformed'],
    ['Bearer two words', 'malformed'],
    ['Bearer s3cret-admin-token-012', 'invalid'],
    ['Bearer s3cret-admin-token-01234', 'invalid'],
    ['Bearer S3CRET-ADMIN-TOKEN-0123', 'invalid'],
  ])('%j → %s', (header, refusal) => {
    expect(check(header)).toBe(refusal);
  });
});
