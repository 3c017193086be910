import { pbkdf2Sync } from 'node:crypto';

import { afterEach, describe, expect, it } from 'vitest';

import {
  DEFAULT_HASH_ITERATIONS,
  PasswordHashError,
  comparePassword,
  getDefaultHashIterations,
  hashPassword,
  passwordEntropy,
  passwordStrengthInternals,
  setDefaultHashIterations,
  validatePasswordStrength,
} from '../../src/http/password.js';

// A hash produced by Coder itself (coderd/userpassword tests, "Legacy") for the password "tomato".
const CODER_TOMATO_HASH =
  '$pbkdf2-sha256$65535$z8c1p1C2ru9EImBP1I+ZNA$pNjE3Yk0oG0PmJ0Je+y7ENOVlSkn/b0BEqqdKsq6Y97wQBq0xT+lD5bWJpyIKJqQICuPZcEaGDKrXJn8+SIHRg';

const HASH_FORMAT = /^\$pbkdf2-sha256\$(\d+)\$([A-Za-z0-9+/]{22})\$([A-Za-z0-9+/]{86})$/;

describe('hashPassword', () => {
  afterEach(() => setDefaultHashIterations(DEFAULT_HASH_ITERATIONS));

  it('uses Coder’s format with 65535 iterations, a 16 byte salt and a 64 byte key, unpadded', async () => {
    expect(DEFAULT_HASH_ITERATIONS).toBe(65535);
    const hash = await hashPassword('SomeSecurePassword!');
    const m = HASH_FORMAT.exec(hash);
    expect(m).not.toBeNull();
    expect(m![1]).toBe('65535');
    expect(Buffer.from(m![2], 'base64')).toHaveLength(16);
    expect(Buffer.from(m![3], 'base64')).toHaveLength(64);
    expect(hash).not.toContain('=');
  });

  it('derives exactly PBKDF2-HMAC-SHA256(password, salt, iterations, 64)', async () => {
    const hash = await hashPassword('correct horse', 1000);
    const [, scheme, iter, salt, key] = hash.split('$');
    expect(scheme).toBe('pbkdf2-sha256');
    expect(iter).toBe('1000');
    const expected = pbkdf2Sync('correct horse', Buffer.from(salt, 'base64'), 1000, 64, 'sha256');
    expect(Buffer.from(key, 'base64').equals(expected)).toBe(true);
  });

  it('salts every hash differently', async () => {
    const [a, b] = await Promise.all([hashPassword('same', 1), hashPassword('same', 1)]);
    expect(a).not.toBe(b);
  });

  it('takes its default iteration count from setDefaultHashIterations', async () => {
    setDefaultHashIterations(1);
    expect(getDefaultHashIterations()).toBe(1);
    expect(HASH_FORMAT.exec(await hashPassword('x'))![1]).toBe('1');
    expect(() => setDefaultHashIterations(0)).toThrow(RangeError);
    await expect(hashPassword('x', 1.5)).rejects.toThrow(RangeError);
  });
});

describe('comparePassword', () => {
  it('verifies a hash made by Coder', async () => {
    expect(await comparePassword(CODER_TOMATO_HASH, 'tomato')).toBe(true);
    expect(await comparePassword(CODER_TOMATO_HASH, 'potato')).toBe(false);
  });

  it('verifies its own hashes at any iteration count, read back from the hash', async () => {
    for (const iterations of [1, 1024, 4096]) {
      const hash = await hashPassword('PasswordSecured123!', iterations);
      expect(await comparePassword(hash, 'PasswordSecured123!')).toBe(true);
      expect(await comparePassword(hash, 'PasswordSecured123')).toBe(false);
      expect(await comparePassword(hash, '')).toBe(false);
    }
  });

  it('verifies a hand-built hash with a legacy iteration count', async () => {
    const salt = Buffer.alloc(16, 7);
    const key = pbkdf2Sync('legacy', salt, 1024, 64, 'sha256');
    const raw = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
    const hash = `$pbkdf2-sha256$1024$${raw(salt)}$${raw(key)}`;
    expect(await comparePassword(hash, 'legacy')).toBe(true);
    // Same key, different recorded count: no longer matches.
    expect(await comparePassword(hash.replace('$1024$', '$1023$'), 'legacy')).toBe(false);
  });

  it('never accepts a password against an empty stored hash, not even hunter2', async () => {
    expect(await comparePassword('', 'hunter2')).toBe(false);
    expect(await comparePassword('', 'anything')).toBe(false);
    expect(await comparePassword('', '')).toBe(false);
  });

  it('rejects malformed stored hashes with Coder’s messages', async () => {
    const pad = 'a'.repeat(70);
    const cases: Array<[string, string]> = [
      ['invalidhash', 'hash too short: 11'],
      ['abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz', 'hash has too many parts: 1'],
      [`$pbkdf2-sha256$1$${pad}`, 'hash has too many parts: 4'],
      [`x$pbkdf2-sha256$1$aaaa$${pad}`, 'hash prefix is invalid'],
      [`$bcrypt$1$aaaa$${pad}`, 'hash isn\'t "pbkdf2-sha256" scheme: "bcrypt"'],
      [`$pbkdf2-sha256$abc$aaaa$${pad}`, 'parse iter from hash: strconv.Atoi: parsing "abc": invalid syntax'],
      [`$pbkdf2-sha256$1$a=aa$${pad}`, 'decode salt: illegal base64 data at input byte 1'],
      [`$pbkdf2-sha256$1$aaaaa$${pad}`, 'decode salt: illegal base64 data at input byte 4'],
    ];
    for (const [hash, message] of cases) {
      const err = await comparePassword(hash, 'x').catch((e: unknown) => e);
      expect(err, hash).toBeInstanceOf(PasswordHashError);
      expect((err as Error).message).toBe(message);
    }
  });

  it('keeps any further $ in the last part, like strings.SplitN', async () => {
    const hash = await hashPassword('p', 1);
    expect(await comparePassword(`${hash}$extra`, 'p')).toBe(false);
  });
});

describe('validatePasswordStrength', () => {
  it.each(['SomeSecurePassword!', 'PasswordSecured123!', 'MySecurePassword!123', 'Tr0ub4dor&3', 'correct horse battery staple', 'Password1'])(
    'accepts %j',
    (pw) => {
      expect(validatePasswordStrength(pw)).toBeNull();
    },
  );

  it('rejects weak passwords, naming only what is missing', () => {
    expect(validatePasswordStrength('password')).toBe(
      'insecure password, try including more special characters, using uppercase letters, using numbers or using a longer password',
    );
    expect(validatePasswordStrength('pass')).toBe(
      'insecure password, try including more special characters, using uppercase letters, using numbers or using a longer password',
    );
    expect(validatePasswordStrength('mypass')).toBe(
      'insecure password, try including more special characters, using uppercase letters, using numbers or using a longer password',
    );
    expect(validatePasswordStrength('MYPASS')).toBe(
      'insecure password, try including more special characters, using lowercase letters, using numbers or using a longer password',
    );
    expect(validatePasswordStrength('123')).toBe(
      'insecure password, try including more special characters, using lowercase letters, using uppercase letters or using a longer password',
    );
    expect(validatePasswordStrength('hunter2')).toBe(
      'insecure password, try including more special characters, using uppercase letters or using a longer password',
    );
    expect(validatePasswordStrength('')).toBe(
      'insecure password, try including more special characters, using lowercase letters, using uppercase letters, using numbers or using a longer password',
    );
  });

  it('asks for more special characters until all three kinds are used', () => {
    // Lower, upper, digit and a "replace" special (!) but no separator or other special character.
    expect(validatePasswordStrength('aB1!')).toBe('insecure password, try including more special characters or using a longer password');
    // Every class present: only length is left to suggest.
    expect(validatePasswordStrength('aB1!_#')).toBe('insecure password, try using a longer password');
  });

  it('checks entropy before length, then caps at 64 bytes', () => {
    // 65 repeated letters have almost no entropy: the entropy message wins.
    expect(validatePasswordStrength('a'.repeat(65))).toBe(
      'insecure password, try including more special characters, using uppercase letters, using numbers or using a longer password',
    );
    const strong65 = 'Aa1!' + 'Zq9#Lm3$Rt7%Kp2&'.repeat(4) + '_';
    expect(strong65).toHaveLength(69);
    expect(validatePasswordStrength(strong65)).toBe('password must be no more than 64 characters');
    expect(validatePasswordStrength(strong65.slice(0, 64))).toBeNull();
    // Bytes, not characters: 22 three-byte characters plus a few ASCII exceed 64 bytes.
    expect(validatePasswordStrength('€'.repeat(22) + 'aB1!')).toBe('password must be no more than 64 characters');
  });
});

describe('passwordEntropy (go-password-validator v0.3.0)', () => {
  it('uses the base of the character classes present', () => {
    // Lower only: 26; length 8 -> 8 * log2(26).
    expect(passwordEntropy('password')).toBeCloseTo(8 * Math.log2(26), 10);
    // Digits plus one unclassified rune: 10 + 1.
    expect(passwordEntropy('193ü')).toBeCloseTo(5 * Math.log2(11), 10); // ü is two bytes long
    // Every class: 5 + 5 + 22 + 26 + 26 + 10 = 94.
    expect(passwordEntropy('!_#aA1')).toBeCloseTo(6 * Math.log2(94), 10);
  });

  it('counts at most two of a repeated character', () => {
    expect(passwordEntropy('aaaa')).toBeCloseTo(2 * Math.log2(26), 10);
    expect(passwordEntropy('bbbbbbbaaaaaaaaa')).toBeCloseTo(4 * Math.log2(26), 10);
  });

  it('counts at most two characters of a known sequence, forwards or backwards', () => {
    expect(passwordEntropy('12345678')).toBeCloseTo(2 * Math.log2(10), 10);
    expect(passwordEntropy('876543')).toBeCloseTo(2 * Math.log2(10), 10);
    expect(passwordEntropy('qwerty')).toBeCloseTo(2 * Math.log2(26), 10);
    expect(passwordEntropy('zyxw')).toBeCloseTo(2 * Math.log2(26), 10);
  });

  it('passes the library’s own unit cases', () => {
    const { getBase, getLength, removeMoreThanTwoFromSequence, removeMoreThanTwoRepeatingChars } = passwordStrengthInternals;
    expect(getBase('abcd')).toBe(26);
    expect(getBase('abcdA')).toBe(52);
    expect(getBase('A')).toBe(26);
    expect(getBase('^_')).toBe(22 + 5);
    expect(getBase('^')).toBe(22);
    expect(getBase('!')).toBe(5);
    expect(getBase('123')).toBe(10);
    expect(getBase('123ü')).toBe(11);
    expect(removeMoreThanTwoFromSequence('12345678', '0123456789')).toBe('12');
    expect(removeMoreThanTwoFromSequence('abcqwertyabc', 'qwertyuiop')).toBe('abcqwabc');
    expect(removeMoreThanTwoFromSequence('', '')).toBe('');
    expect(removeMoreThanTwoFromSequence('', '12345')).toBe('');
    expect(removeMoreThanTwoRepeatingChars('aaaa')).toBe('aa');
    expect(removeMoreThanTwoRepeatingChars('bbbbbbbaaaaaaaaa')).toBe('bbaa');
    expect(removeMoreThanTwoRepeatingChars('ab')).toBe('ab');
    expect(removeMoreThanTwoRepeatingChars('')).toBe('');
    expect(getLength('aaaa')).toBe(2);
    expect(getLength('11112222')).toBe(4);
    expect(getLength('aa123456')).toBe(4);
    expect(getLength('876543')).toBe(2);
    expect(getLength('qwerty123456z')).toBe(5);
    // The quirky loop keeps a run that restarts mid-sequence: "12121234" -> "1212123".
    expect(getLength('12121234')).toBe(7);
    expect(passwordEntropy('aGoo0dMi#oFChaR2')).toBeGreaterThanOrEqual(80);
    expect(passwordEntropy('mypass')).toBeLessThan(50);
    expect(passwordEntropy('MYPASS')).toBeLessThan(50);
    expect(passwordEntropy('mypassword')).toBeGreaterThanOrEqual(4);
    expect(passwordEntropy('123')).toBeLessThan(60);
  });

  it('is zero for the empty password', () => {
    expect(passwordEntropy('')).toBe(0);
  });

  it('is exact for power-of-two bases', () => {
    // Base 16 = 10 digits + 6 unclassified runes; length = 1 + six two-byte runes = 13 bytes.
    expect(passwordEntropy('1ĀāĂăĄą')).toBe(4 * 13);
  });
});
