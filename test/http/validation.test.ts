import { describe, expect, it } from 'vitest';

import {
  byteLength,
  goFormatValue,
  goParseBool,
  goParseInt,
  goQuote,
  goTrimSpace,
  hasValue,
  isValidEmail,
  normalizeRealName,
  parseUuid,
  validateDisplayName,
  validateFields,
  validateGroupName,
  validateName,
  validateUserRealName,
  validationFailedDetail,
} from '../../src/http/validation.js';

describe('validateName', () => {
  it.each(['a', 'alice', 'Alice', 'a1', 'a-b', 'a-b-c', 'A1-B2', 'New', 'newer', '0', 'x'.repeat(32)])('accepts %j', (name) => {
    expect(validateName(name)).toBeNull();
  });

  it('rejects names longer than 32 bytes', () => {
    expect(validateName('x'.repeat(33))).toBe('must be <= 32 characters');
    // Go counts bytes: 17 two-byte characters are 34 bytes.
    expect(validateName('é'.repeat(17))).toBe('must be <= 32 characters');
  });

  it('rejects the empty name', () => {
    expect(validateName('')).toBe('must be >= 1 character');
  });

  it('rejects the route words new and create', () => {
    expect(validateName('new')).toBe('cannot use "new" as a name');
    expect(validateName('create')).toBe('cannot use "create" as a name');
  });

  it.each(['a_b', '-a', 'a-', 'a--b', 'a b', 'a.b', 'é', 'a@b', ' a'])('rejects %j as not alphanumeric with hyphens', (name) => {
    expect(validateName(name)).toBe('must be alphanumeric with hyphens');
  });
});

describe('validateDisplayName', () => {
  it.each(['', 'Coder', 'My Org', 'x', 'a\tb', 'Ünïcødé Ørg', '\u00a0leading nbsp is not \\s in Go', 'x'.repeat(64)])(
    'accepts %j',
    (name) => {
      expect(validateDisplayName(name)).toBeNull();
    },
  );

  it('rejects more than 64 bytes', () => {
    expect(validateDisplayName('x'.repeat(65))).toBe('must be <= 64 characters');
    expect(validateDisplayName('é'.repeat(33))).toBe('must be <= 64 characters');
  });

  it.each([' x', 'x ', '\tx', 'x\n', 'a\nb', ' '])('rejects %j (surrounding whitespace or a line break)', (name) => {
    expect(validateDisplayName(name)).toBe('must be alphanumeric with spaces');
  });
});

describe('validateUserRealName and normalizeRealName', () => {
  it('accepts ordinary names, including empty', () => {
    expect(validateUserRealName('')).toBeNull();
    expect(validateUserRealName('Ada Lovelace')).toBeNull();
    expect(validateUserRealName('x'.repeat(128))).toBeNull();
    // U+FEFF is not a space for Go.
    expect(validateUserRealName('\ufeffAda')).toBeNull();
  });

  it('rejects more than 128 bytes', () => {
    expect(validateUserRealName('x'.repeat(129))).toBe('must be <= 128 characters');
  });

  it.each([' Ada', 'Ada ', '\tAda', 'Ada\n', 'Ada\u00a0', '\u3000Ada', 'Ada\u0085'])('rejects %j', (name) => {
    expect(validateUserRealName(name)).toBe('must not have leading or trailing whitespace');
  });

  it('normalizes by trimming and cutting to 128 bytes on a character boundary', () => {
    expect(normalizeRealName('  Ada  ')).toBe('Ada');
    expect(normalizeRealName('\u00a0Ada\u3000')).toBe('Ada');
    expect(normalizeRealName('x'.repeat(200))).toBe('x'.repeat(128));
    expect(normalizeRealName('é'.repeat(100))).toBe('é'.repeat(64));
    expect(normalizeRealName('a' + 'é'.repeat(100))).toBe('a' + 'é'.repeat(63));
    expect(validateUserRealName(normalizeRealName('  ' + 'y'.repeat(300) + '  '))).toBeNull();
  });
});

describe('validateGroupName', () => {
  it('accepts names up to 255 bytes, including UUID-like names', () => {
    expect(validateGroupName('Everyone')).toBeNull();
    expect(validateGroupName('devs')).toBeNull();
    expect(validateGroupName('0b6e5d3a-1c2f-4a5b-8c7d-9e0f1a2b3c4d')).toBeNull();
    expect(validateGroupName('a'.repeat(255))).toBeNull();
  });

  it('rejects longer names, route words and bad characters', () => {
    expect(validateGroupName('a'.repeat(256))).toBe('must be <= 255 characters');
    expect(validateGroupName('new')).toBe('cannot use "new" as a name');
    expect(validateGroupName('create')).toBe('cannot use "create" as a name');
    expect(validateGroupName('')).toBe('must be alphanumeric with hyphens');
    expect(validateGroupName('my group')).toBe('must be alphanumeric with hyphens');
    expect(validateGroupName('a_b')).toBe('must be alphanumeric with hyphens');
  });
});

describe('isValidEmail (go-playground `email`)', () => {
  it.each([
    'a@b.co',
    'alice@example.com',
    'Alice.Smith+tag@Example.COM',
    'a.b.c@x.y.z',
    "o'brien@example.org",
    '"john doe"@example.com',
    '"a\\"b"@example.com',
    'a@1.example.com',
    'user@sub-domain.example.com',
    'a@b.c.',
    'ü@exämple.com',
    'a@b~c.de',
  ])('accepts %j', (email) => {
    expect(isValidEmail(email)).toBe(true);
  });

  it.each([
    '',
    'plain',
    '@example.com',
    'a@',
    'a@b',
    'a@b.c1',
    'a@1.2',
    'a..b@example.com',
    '.a@example.com',
    'a.@example.com',
    'a b@example.com',
    'a@-b.com',
    'a@b-.com',
    'a@b_c.com',
    'a@b..com',
    'a@@b.com',
    'a@example.com ',
    ' a@example.com',
    '"unterminated@example.com',
    'a@example.com\n',
    `${'a'.repeat(310)}@example.com`,
  ])('rejects %j', (email) => {
    expect(isValidEmail(email)).toBe(false);
  });

  it('stays fast on inputs that make a backtracking regex explode', () => {
    const started = Date.now();
    expect(isValidEmail('a@' + 'a.'.repeat(150) + '!')).toBe(false);
    expect(isValidEmail('"' + ' \t'.repeat(150) + '@x.com')).toBe(false);
    expect(isValidEmail('"' + ' \r\n '.repeat(70) + 'x"@y.z')).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('Go formatting helpers', () => {
  it('quotes like %q', () => {
    expect(goQuote('abc')).toBe('"abc"');
    expect(goQuote('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(goQuote('tab\there\n')).toBe('"tab\\there\\n"');
    expect(goQuote('\x01\x7f')).toBe('"\\x01\\x7f"');
    expect(goQuote('héllo €')).toBe('"héllo €"');
    expect(goQuote('\u200b')).toBe('"\\u200b"');
  });

  it('formats values like %v', () => {
    expect(goFormatValue('text')).toBe('text');
    expect(goFormatValue(42)).toBe('42');
    expect(goFormatValue(1.5)).toBe('1.5');
    expect(goFormatValue(0.00001)).toBe('1e-05');
    expect(goFormatValue(1e21)).toBe('1e+21');
    expect(goFormatValue(true)).toBe('true');
    expect(goFormatValue(null)).toBe('<nil>');
    expect(goFormatValue(['a', 'b'])).toBe('[a b]');
    expect(goFormatValue([])).toBe('[]');
    expect(goFormatValue({ b: 1, a: 'x' })).toBe('map[a:x b:1]');
  });

  it('measures UTF-8 bytes and trims Go spaces', () => {
    expect(byteLength('abc')).toBe(3);
    expect(byteLength('é€😀')).toBe(2 + 3 + 4);
    expect(goTrimSpace(' \t\n\v\f\r\u0085\u00a0x y\u2028\u3000')).toBe('x y');
    expect(goTrimSpace('\ufeffx')).toBe('\ufeffx');
  });

  it('parses integers like strconv', () => {
    expect(goParseInt('12', 64)).toEqual({ ok: true, value: 12n });
    expect(goParseInt('-5', 64)).toEqual({ ok: true, value: -5n });
    expect(goParseInt('+7', 64)).toEqual({ ok: true, value: 7n });
    expect(goParseInt('007', 64)).toEqual({ ok: true, value: 7n });
    expect(goParseInt('-9223372036854775808', 64)).toEqual({ ok: true, value: -9223372036854775808n });
    expect(goParseInt('x', 64)).toEqual({ ok: false, error: 'strconv.ParseInt: parsing "x": invalid syntax' });
    expect(goParseInt('', 64)).toEqual({ ok: false, error: 'strconv.ParseInt: parsing "": invalid syntax' });
    expect(goParseInt('-', 64)).toEqual({ ok: false, error: 'strconv.ParseInt: parsing "-": invalid syntax' });
    expect(goParseInt('1.5', 64)).toEqual({ ok: false, error: 'strconv.ParseInt: parsing "1.5": invalid syntax' });
    expect(goParseInt(' 1', 64)).toEqual({ ok: false, error: 'strconv.ParseInt: parsing " 1": invalid syntax' });
    expect(goParseInt('9223372036854775808', 64)).toEqual({
      ok: false,
      error: 'strconv.ParseInt: parsing "9223372036854775808": value out of range',
    });
    expect(goParseInt('2147483647', 32)).toEqual({ ok: true, value: 2147483647n });
    expect(goParseInt('2147483648', 32)).toEqual({ ok: false, error: 'strconv.ParseInt: parsing "2147483648": value out of range' });
    // An overflow is reported before a later bad character, as ParseUint does.
    expect(goParseInt('99999999999x', 32)).toEqual({ ok: false, error: 'strconv.ParseInt: parsing "99999999999x": value out of range' });
    expect(goParseInt('abc', 64, 'Atoi')).toEqual({ ok: false, error: 'strconv.Atoi: parsing "abc": invalid syntax' });
  });

  it('parses booleans like strconv.ParseBool', () => {
    for (const t of ['1', 't', 'T', 'true', 'TRUE', 'True']) expect(goParseBool(t)).toEqual({ ok: true, value: true });
    for (const f of ['0', 'f', 'F', 'false', 'FALSE', 'False']) expect(goParseBool(f)).toEqual({ ok: true, value: false });
    expect(goParseBool('yes')).toEqual({ ok: false, error: 'strconv.ParseBool: parsing "yes": invalid syntax' });
    expect(goParseBool('tRUE')).toEqual({ ok: false, error: 'strconv.ParseBool: parsing "tRUE": invalid syntax' });
  });

  it('parses UUIDs in every form google/uuid accepts', () => {
    const canonical = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11';
    expect(parseUuid(canonical)).toBe(canonical);
    expect(parseUuid(canonical.toUpperCase())).toBe(canonical);
    expect(parseUuid(`{${canonical}}`)).toBe(canonical);
    expect(parseUuid(`urn:uuid:${canonical}`)).toBe(canonical);
    expect(parseUuid(canonical.replaceAll('-', ''))).toBe(canonical);
    expect(parseUuid('')).toBeNull();
    expect(parseUuid('not-a-uuid')).toBeNull();
    expect(parseUuid('a0eebc99x9c0b-4ef8-bb6d-6bb9bd380a11')).toBeNull();
    expect(parseUuid('g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')).toBeNull();
  });
});

describe('validation details and body validation', () => {
  it('builds Coder’s validation detail', () => {
    expect(validationFailedDetail('email', 'bad')).toBe('Validation failed for tag "email" with value: "bad"');
    expect(validationFailedDetail('required', '')).toBe('Validation failed for tag "required" with value: ""');
    expect(validationFailedDetail('username', 'new')).toBe('Validation failed for tag "username" with value: "new"');
    expect(validationFailedDetail('required', 0)).toBe('Validation failed for tag "required" with value: "0"');
    expect(validationFailedDetail('required', ['a', 'b'])).toBe('Validation failed for tag "required" with value: "[a b]"');
  });

  it('knows what `required` means', () => {
    expect(hasValue(undefined)).toBe(false);
    expect(hasValue(null)).toBe(false);
    expect(hasValue('')).toBe(false);
    expect(hasValue(0)).toBe(false);
    expect(hasValue(false)).toBe(false);
    expect(hasValue('x')).toBe(true);
    expect(hasValue([])).toBe(true); // a present empty list is not nil
    expect(hasValue({})).toBe(true);
  });

  it('reports each failing field once, at its first failing tag, in rule order', () => {
    const errors = validateFields({ email: 'not-an-email', username: 'new', name: ' padded' }, [
      ['email', 'required,email'],
      ['username', 'required,username'],
      ['name', 'user_real_name'],
      ['password', 'required'],
    ]);
    expect(errors).toEqual([
      { field: 'email', detail: 'Validation failed for tag "email" with value: "not-an-email"' },
      { field: 'username', detail: 'Validation failed for tag "username" with value: "new"' },
      { field: 'name', detail: 'Validation failed for tag "user_real_name" with value: " padded"' },
      { field: 'password', detail: 'Validation failed for tag "required" with value: ""' },
    ]);
  });

  it('stops at required for a missing field and honours omitempty', () => {
    expect(validateFields({}, [['email', 'required,email']])).toEqual([
      { field: 'email', detail: 'Validation failed for tag "required" with value: ""' },
    ]);
    expect(validateFields({}, [['display_name', 'omitempty,organization_display_name']])).toEqual([]);
    expect(validateFields({ display_name: ' x' }, [['display_name', 'omitempty,organization_display_name']])).toEqual([
      { field: 'display_name', detail: 'Validation failed for tag "organization_display_name" with value: " x"' },
    ]);
    expect(
      validateFields({ name: 'devs', display_name: 'Developers' }, [
        ['name', 'required,group_name'],
        ['display_name', 'group_display_name'],
      ]),
    ).toEqual([]);
    expect(validateFields({ name: 'good-name' }, [['name', 'required,organization_name']])).toEqual([]);
  });

  it('refuses unknown tags (a programming error)', () => {
    expect(() => validateFields({ a: 'x' }, [['a', 'nonsense']])).toThrow('unknown validation tag "nonsense"');
  });
});
