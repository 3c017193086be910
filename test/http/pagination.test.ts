import { describe, expect, it } from 'vitest';

import { INVALID_QUERY_PARAMS_MESSAGE, findRepeatedParams, parsePagination } from '../../src/http/pagination.js';

describe('parsePagination', () => {
  it('defaults to no cursor, no limit and offset 0', () => {
    expect(parsePagination({})).toEqual({ ok: true, value: { limit: 0, offset: 0 } });
    expect(parsePagination(undefined)).toEqual({ ok: true, value: { limit: 0, offset: 0 } });
    expect(parsePagination({ limit: '', offset: '', after_id: '' })).toEqual({ ok: true, value: { limit: 0, offset: 0 } });
  });

  it('reads limit, offset and a canonicalised after_id', () => {
    expect(parsePagination({ limit: '25', offset: '50', after_id: 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11' })).toEqual({
      ok: true,
      value: { limit: 25, offset: 50, afterId: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' },
    });
    expect(parsePagination({ limit: '0' })).toEqual({ ok: true, value: { limit: 0, offset: 0 } });
    expect(parsePagination({ limit: '+7', offset: '2147483647' })).toEqual({ ok: true, value: { limit: 7, offset: 2147483647 } });
  });

  it('treats the nil UUID cursor as no cursor', () => {
    expect(parsePagination({ after_id: '00000000-0000-0000-0000-000000000000' })).toEqual({ ok: true, value: { limit: 0, offset: 0 } });
  });

  it('ignores other parameters', () => {
    expect(parsePagination({ q: 'status:active', limit: '1' })).toEqual({ ok: true, value: { limit: 1, offset: 0 } });
  });

  it('reports every invalid parameter with Coder’s messages', () => {
    expect(parsePagination({ after_id: 'x', limit: '-1', offset: 'abc' })).toEqual({
      ok: false,
      validations: [
        { field: 'after_id', detail: 'Query param "after_id" must be a valid uuid' },
        { field: 'limit', detail: 'Query param "limit" must be a valid 32-bit positive integer: value is negative' },
        { field: 'offset', detail: 'Query param "offset" must be a valid 32-bit positive integer: strconv.ParseInt: parsing "abc": invalid syntax' },
      ],
    });
  });

  it('rejects values beyond 32 bits and non-integers', () => {
    expect(parsePagination({ limit: '2147483648' })).toEqual({
      ok: false,
      validations: [
        { field: 'limit', detail: 'Query param "limit" must be a valid 32-bit positive integer: strconv.ParseInt: parsing "2147483648": value out of range' },
      ],
    });
    expect(parsePagination({ offset: '1.5' })).toEqual({
      ok: false,
      validations: [
        { field: 'offset', detail: 'Query param "offset" must be a valid 32-bit positive integer: strconv.ParseInt: parsing "1.5": invalid syntax' },
      ],
    });
    expect(parsePagination({ limit: ' 5' })).toEqual({
      ok: false,
      validations: [{ field: 'limit', detail: 'Query param "limit" must be a valid 32-bit positive integer: strconv.ParseInt: parsing " 5": invalid syntax' }],
    });
  });

  it('rejects a parameter given more than once', () => {
    expect(parsePagination({ limit: ['1', '2'], after_id: ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'x', 'y'] })).toEqual({
      ok: false,
      validations: [
        {
          field: 'after_id',
          detail: 'Query param "after_id" provided more than once, found 3 times. Only provide 1 instance of this query param.',
        },
        {
          field: 'limit',
          detail: 'Query param "limit" provided more than once, found 2 times. Only provide 1 instance of this query param.',
        },
      ],
    });
  });

  it('exposes the response message', () => {
    expect(INVALID_QUERY_PARAMS_MESSAGE).toBe('Query parameters have invalid values.');
  });
});

describe('findRepeatedParams', () => {
  it('reports each repeated parameter', () => {
    expect(findRepeatedParams({ a: ['1', '2'], b: '3', c: ['4'], d: ['5', '6', '7'] })).toEqual([
      { field: 'a', detail: 'Query param "a" provided more than once, found 2 times. Only provide 1 instance of this query param.' },
      { field: 'd', detail: 'Query param "d" provided more than once, found 3 times. Only provide 1 instance of this query param.' },
    ]);
  });

  it('can be limited to some names', () => {
    expect(findRepeatedParams({ a: ['1', '2'], limit: ['1', '2'] }, ['limit', 'offset'])).toEqual([
      { field: 'limit', detail: 'Query param "limit" provided more than once, found 2 times. Only provide 1 instance of this query param.' },
    ]);
    expect(findRepeatedParams(undefined)).toEqual([]);
  });
});
