import { hash, randomInt } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const TOKEN_LENGTH = 64;
const TOKEN_PATTERN = /^[0-9A-Za-z]{64}$/;

/** 64 base62 characters from the CSPRNG, about 381 bits. */
export function generateToken(): string {
  let token = '';
  for (let i = 0; i < TOKEN_LENGTH; i++) token += BASE62[randomInt(62)];
  return token;
}

/** Whether a string could be a token at all; anything else is rejected without a lookup. */
export function isWellFormedToken(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}

/** The form stored and looked up: only the hash of a token ever reaches the database. */
export function hashToken(token: string): string {
  return hash('sha256', token, 'hex');
}
