// Passwords as Coder stores and judges them (coderd/userpassword):
//   - hashes are PBKDF2-HMAC-SHA256 strings `$pbkdf2-sha256$<iterations>$<salt>$<hash>` with a 16 byte
//     salt, a 64 byte key and unpadded standard base64, so hashes move between Coder and orgd;
//   - strength is go-password-validator v0.3.0's entropy estimate (>= 52 bits) plus at most 64 bytes.
import { pbkdf2 as pbkdf2Callback, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

import { byteLength, goParseInt, goQuote } from './validation.js';

const pbkdf2 = promisify(pbkdf2Callback);

export const HASH_SCHEME = 'pbkdf2-sha256';
/** Coder's iteration count since 2023 ("about as fast as bcrypt"); older hashes carry 1024. */
export const DEFAULT_HASH_ITERATIONS = 65535;
const HASH_LENGTH = 64;
const SALT_SIZE = 16;
const MAX_ITERATIONS = 2 ** 31 - 1; // node:crypto's limit
/** The minimum entropy, in bits, Coder asks of a password. */
export const MIN_PASSWORD_ENTROPY = 52;
/** The longest password Coder accepts, in UTF-8 bytes. */
export const MAX_PASSWORD_LENGTH = 64;

let defaultIterations = DEFAULT_HASH_ITERATIONS;

/**
 * Changes the iteration count used by {@link hashPassword} when none is given. Coder drops it to 1
 * in its test binaries; tests may do the same. Stored hashes always carry their own count.
 */
export function setDefaultHashIterations(iterations: number): void {
  assertIterations(iterations);
  defaultIterations = iterations;
}

export function getDefaultHashIterations(): number {
  return defaultIterations;
}

function assertIterations(iterations: number): void {
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) {
    throw new RangeError(`hash iterations must be an integer between 1 and ${MAX_ITERATIONS}, got ${iterations}`);
  }
}

/** A stored hash that cannot be parsed. The message is Coder's (e.g. `hash too short: 3`). */
export class PasswordHashError extends Error {
  override name = 'PasswordHashError';
}

const rawBase64 = (b: Buffer): string => b.toString('base64').replace(/=+$/, '');

/** Go's base64.RawStdEncoding.DecodeString: no padding, line breaks skipped, any other stray byte is an error. */
function decodeRawBase64(s: string): Buffer {
  const clean = s.replace(/[\r\n]/g, '');
  const bad = clean.search(/[^A-Za-z0-9+/]/);
  if (bad >= 0) throw new PasswordHashError(`decode salt: illegal base64 data at input byte ${bad}`);
  if (clean.length % 4 === 1) {
    throw new PasswordHashError(`decode salt: illegal base64 data at input byte ${clean.length - 1}`);
  }
  return Buffer.from(clean, 'base64');
}

async function hashWithSaltAndIter(password: string, salt: Buffer, iterations: number): Promise<string> {
  // Go's pbkdf2.Key runs at least one round whatever the count says; node refuses counts below 1.
  const rounds = Math.max(1, iterations);
  const key = await pbkdf2(Buffer.from(password, 'utf8'), salt, rounds, HASH_LENGTH, 'sha256');
  return `$${HASH_SCHEME}$${iterations}$${rawBase64(salt)}$${rawBase64(key)}`;
}

/** Hashes a password with a fresh 16 byte salt (default 65535 iterations). */
export async function hashPassword(password: string, iterations: number = defaultIterations): Promise<string> {
  assertIterations(iterations);
  return hashWithSaltAndIter(password, randomBytes(SALT_SIZE), iterations);
}

const simulatedHashes = new Map<number, Promise<string>>();

/**
 * A real hash of `hunter2` at the current default iteration count (computed once per count),
 * compared against when a user has no password at all, so that such a check costs what a real one does.
 */
function getSimulatedHash(): Promise<string> {
  let hash = simulatedHashes.get(defaultIterations);
  if (!hash) {
    hash = hashPassword('hunter2', defaultIterations);
    simulatedHashes.set(defaultIterations, hash);
  }
  return hash;
}

async function compareWithHash(hashed: string, password: string): Promise<boolean> {
  if (byteLength(hashed) < HASH_LENGTH) throw new PasswordHashError(`hash too short: ${byteLength(hashed)}`);
  // strings.SplitN(hashed, "$", 5): the fifth part keeps any further '$'.
  const all = hashed.split('$');
  const parts = all.length > 5 ? [...all.slice(0, 4), all.slice(4).join('$')] : all;
  if (parts.length !== 5) throw new PasswordHashError(`hash has too many parts: ${parts.length}`);
  if (parts[0].length !== 0) throw new PasswordHashError('hash prefix is invalid');
  if (parts[1] !== HASH_SCHEME) {
    throw new PasswordHashError(`hash isn't ${goQuote(HASH_SCHEME)} scheme: ${goQuote(parts[1])}`);
  }
  const iter = goParseInt(parts[2], 64, 'Atoi');
  if (!iter.ok) throw new PasswordHashError(`parse iter from hash: ${iter.error}`);
  if (iter.value > BigInt(MAX_ITERATIONS)) throw new PasswordHashError(`hash iterations out of range: ${iter.value}`);
  const salt = decodeRawBase64(parts[3]);
  const derived = Buffer.from(await hashWithSaltAndIter(password, salt, Number(iter.value)), 'utf8');
  const stored = Buffer.from(hashed, 'utf8');
  // subtle.ConstantTimeCompare: different lengths are simply unequal.
  return derived.length === stored.length && timingSafeEqual(derived, stored);
}

/**
 * Checks a password against a stored hash in constant time. An empty stored hash (a user without a
 * password, or no user at all) is compared against a real hash so that the answer takes as long as
 * a real check, and is always false: Coder would accept `hunter2` there, orgd does not.
 * Rejects with {@link PasswordHashError} when the stored hash is malformed.
 */
export async function comparePassword(hashed: string, password: string): Promise<boolean> {
  if (hashed === '') {
    await compareWithHash(await getSimulatedHash(), password);
    return false;
  }
  return compareWithHash(hashed, password);
}

// ---------------------------------------------------------------------------------------------
// Strength: go-password-validator v0.3.0, ported rule for rule (quirks included), then Coder's
// length limit.

const REPLACE_CHARS = '!@$&*';
const SEP_CHARS = '_-., ';
const OTHER_SPECIAL_CHARS = '"#%\'()+/:;<=>?[\\]^{|}~';
const LOWER_CHARS = 'abcdefghijklmnopqrstuvwxyz';
const UPPER_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS_CHARS = '0123456789';

const SEQ_NUMS = '0123456789';
const SEQ_KEYBOARD0 = 'qwertyuiop';
const SEQ_KEYBOARD1 = 'asdfghjkl';
const SEQ_KEYBOARD2 = 'zxcvbnm';
const SEQ_ALPHABET = 'abcdefghijklmnopqrstuvwxyz';

/** The size of the alphabet the password seems drawn from. */
function getBase(password: string): number {
  let hasReplace = false;
  let hasSep = false;
  let hasOtherSpecial = false;
  let hasLower = false;
  let hasUpper = false;
  let hasDigits = false;
  let base = 0;
  for (const c of new Set(Array.from(password))) {
    if (REPLACE_CHARS.includes(c)) hasReplace = true;
    else if (SEP_CHARS.includes(c)) hasSep = true;
    else if (OTHER_SPECIAL_CHARS.includes(c)) hasOtherSpecial = true;
    else if (LOWER_CHARS.includes(c)) hasLower = true;
    else if (UPPER_CHARS.includes(c)) hasUpper = true;
    else if (DIGITS_CHARS.includes(c)) hasDigits = true;
    else base++;
  }
  if (hasReplace) base += REPLACE_CHARS.length;
  if (hasSep) base += SEP_CHARS.length;
  if (hasOtherSpecial) base += OTHER_SPECIAL_CHARS.length;
  if (hasLower) base += LOWER_CHARS.length;
  if (hasUpper) base += UPPER_CHARS.length;
  if (hasDigits) base += DIGITS_CHARS.length;
  return base;
}

/** Drops every character of a run of three or more identical characters after the second. */
function removeMoreThanTwoRepeatingChars(runes: string[]): string[] {
  const out = [...runes];
  let prevPrev = '';
  let prev = '';
  for (let i = 0; i < out.length; i++) {
    const r = out[i];
    if (r === prev && r === prevPrev) {
      out.splice(i, 1);
      i--;
    }
    prevPrev = prev;
    prev = r;
  }
  return out;
}

/**
 * Drops characters that continue a run of a known sequence beyond two. This is the library's loop
 * verbatim, including its habit of walking the sequence once per password position and of carrying
 * the match counter across positions.
 */
function removeMoreThanTwoFromSequence(runes: string[], seq: string): string[] {
  const seqRunes = Array.from(seq);
  const out = [...runes];
  let matches = 0;
  for (let i = 0; i < out.length; i++) {
    for (let j = 0; j < seqRunes.length; j++) {
      if (i >= out.length) break;
      if (out[i] !== seqRunes[j]) {
        matches = 0;
        continue;
      }
      matches++;
      if (matches > 2) out.splice(i, 1);
      else i++;
    }
  }
  return out;
}

const reversed = (s: string): string => Array.from(s).reverse().join('');

/** The effective length: UTF-8 bytes left after removing repeats and sequence runs. */
function getLength(password: string): number {
  let runes = removeMoreThanTwoRepeatingChars(Array.from(password));
  for (const seq of [SEQ_NUMS, SEQ_KEYBOARD0, SEQ_KEYBOARD1, SEQ_KEYBOARD2, SEQ_ALPHABET]) {
    runes = removeMoreThanTwoFromSequence(runes, seq);
  }
  for (const seq of [SEQ_NUMS, SEQ_KEYBOARD0, SEQ_KEYBOARD1, SEQ_KEYBOARD2, SEQ_ALPHABET]) {
    runes = removeMoreThanTwoFromSequence(runes, reversed(seq));
  }
  return byteLength(runes.join(''));
}

/** Go's math.Log2: exact for powers of two, Log(frac)/Ln2 + exp otherwise. */
function goLog2(x: number): number {
  if (x === 0) return -Infinity;
  let exp = Math.floor(Math.log2(x)) + 1;
  let frac = x / 2 ** exp;
  while (frac >= 1) {
    frac /= 2;
    exp++;
  }
  while (frac < 0.5) {
    frac *= 2;
    exp--;
  }
  if (frac === 0.5) return exp - 1;
  return Math.log(frac) * (1 / Math.LN2) + exp;
}

/** The password's entropy in bits as go-password-validator computes it: log2(base^length), summed term by term. */
export function passwordEntropy(password: string): number {
  const base = getBase(password);
  const length = getLength(password);
  const step = goLog2(base) / goLog2(2);
  let total = 0;
  for (let i = 0; i < length; i++) total += step;
  return total;
}

/**
 * Coder's `userpassword.Validate`: null when the password is acceptable, else the message shown to
 * the user, e.g. `insecure password, try including more special characters, using uppercase
 * letters, using numbers or using a longer password`, or `password must be no more than 64 characters`.
 */
export function validatePasswordStrength(password: string): string | null {
  if (passwordEntropy(password) < MIN_PASSWORD_ENTROPY) {
    let hasReplace = false;
    let hasSep = false;
    let hasOtherSpecial = false;
    let hasLower = false;
    let hasUpper = false;
    let hasDigits = false;
    for (const c of password) {
      if (REPLACE_CHARS.includes(c)) hasReplace = true;
      else if (SEP_CHARS.includes(c)) hasSep = true;
      else if (OTHER_SPECIAL_CHARS.includes(c)) hasOtherSpecial = true;
      else if (LOWER_CHARS.includes(c)) hasLower = true;
      else if (UPPER_CHARS.includes(c)) hasUpper = true;
      else if (DIGITS_CHARS.includes(c)) hasDigits = true;
    }
    const advice: string[] = [];
    // All three kinds of special characters are expected before this hint goes away.
    if (!hasOtherSpecial || !hasSep || !hasReplace) advice.push('including more special characters');
    if (!hasLower) advice.push('using lowercase letters');
    if (!hasUpper) advice.push('using uppercase letters');
    if (!hasDigits) advice.push('using numbers');
    if (advice.length > 0) return `insecure password, try ${advice.join(', ')} or using a longer password`;
    return 'insecure password, try using a longer password';
  }
  if (byteLength(password) > MAX_PASSWORD_LENGTH) {
    return `password must be no more than ${MAX_PASSWORD_LENGTH} characters`;
  }
  return null;
}

/** @internal The validator's building blocks, exported for unit tests against the library's own cases. */
export const passwordStrengthInternals = {
  getBase,
  getLength,
  removeMoreThanTwoRepeatingChars: (s: string): string => removeMoreThanTwoRepeatingChars(Array.from(s)).join(''),
  removeMoreThanTwoFromSequence: (s: string, seq: string): string => removeMoreThanTwoFromSequence(Array.from(s), seq).join(''),
};
