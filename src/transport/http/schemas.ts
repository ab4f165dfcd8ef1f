import type { FastifySchemaValidationError } from 'fastify';
import { AuthError, ErrorCode } from '../../core/errors.js';

/**
 * Request schemas of the REST routes, built from one field list per route, and the mapping of a
 * schema failure to the contract code of the field that failed. Schemas check types only; the rules
 * (email syntax, password length, ttl range) stay in the use cases so that gRPC and REST agree.
 */

type FieldKind = 'string' | 'integer' | 'strings';
export type FieldSpec = Readonly<Record<string, FieldKind>>;

type ValueOf<K extends FieldKind> = K extends 'string' ? string : K extends 'integer' ? number | string : string[] | string;
/**
 * A body that passed its schema. Every field may be absent or null (LoopBack clients send null for
 * "not given"); integers arrive as digit strings from forms, string lists as one string from forms.
 */
export type BodyOf<S extends FieldSpec> = { [F in keyof S]?: ValueOf<S[F]> | null };

// JSON carries real types: no coercion, so {"ttl":"abc"} and {"email":{"$ne":null}} fail here.
const jsonKinds: Record<FieldKind, object> = {
  string: { type: ['string', 'null'] },
  integer: { type: ['integer', 'null'] },
  strings: { type: ['array', 'null'], items: { type: 'string' }, maxItems: 32 },
};

// A form body is all strings: an integer is a digit string ('' for "not given"), a list may be one value.
const formKinds: Record<FieldKind, object> = {
  string: { type: 'string' },
  integer: { type: 'string', pattern: '^(-?[0-9]{1,16})?$' },
  strings: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, maxItems: 32 }] },
};

export interface BodyRules {
  /** Refuse fields the spec does not name (they are ignored otherwise). */
  onlyListed?: boolean;
  /** No body is accepted too, also an empty one labelled JSON (fastify validates it as null). */
  optional?: boolean;
}

function objectSchema(spec: FieldSpec, kinds: Record<FieldKind, object>, rules: BodyRules): object {
  return {
    type: rules.optional ? ['object', 'null'] : 'object',
    properties: Object.fromEntries(Object.entries(spec).map(([field, kind]) => [field, kinds[kind]])),
    ...(rules.onlyListed ? { additionalProperties: false } : {}),
  };
}

/** The body schema of a route, one per accepted content type (fastify picks it by Content-Type). */
export function bodySchema(spec: FieldSpec, rules: BodyRules = {}): object {
  return {
    content: {
      'application/json': { schema: objectSchema(spec, jsonKinds, rules) },
      'application/x-www-form-urlencoded': { schema: objectSchema(spec, formKinds, rules) },
    },
  };
}

/** Where a body may carry the token of a route that takes one (see token.ts). */
const bodyToken = { access_token: 'string' } as const;

export const loginFields = { email: 'string', username: 'string', password: 'string', realm: 'string', ttl: 'integer' } as const;
export const logoutFields = { ...bodyToken, sid: 'string' } as const;
export const resetFields = { email: 'string', realm: 'string' } as const;
export const setPasswordFields = { ...bodyToken, newPassword: 'string' } as const;
export const changePasswordFields = { ...bodyToken, oldPassword: 'string', newPassword: 'string' } as const;
export const createUserFields = { email: 'string', username: 'string', password: 'string', realm: 'string' } as const;
export const updateUserFields = { ...bodyToken, email: 'string', username: 'string' } as const;
export const deleteUserFields = bodyToken;
export const revokeSessionFields = bodyToken;
export const validateFields = { ...bodyToken, accessToken: 'string', requiredScopes: 'strings' } as const;

/** The user id of /api/users/{id}: any path segment (LoopBack ids are ObjectIds or numbers, ours hex). */
export const userParams = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } as const;
export interface UserParams {
  id: string;
}
/** A session of a user, /api/users/{id}/accessTokens/{fk}: `fk` is the session id (never a token). */
export const sessionParams = { type: 'object', properties: { id: { type: 'string' }, fk: { type: 'string' } }, required: ['id', 'fk'] } as const;
export interface SessionParams extends UserParams {
  fk: string;
}

/** Query parameters are strings; a repeated one arrives as an array and fails `type: 'string'`. */
const tokenQuery = { access_token: { type: 'string' } };
// LoopBack lower-cases `include`; 'User' works there too. LoopBack's REST client (strong-remoting)
// sends the argument as an array in qs's form, `include[0]=user`.
const includeValue = { type: 'string', pattern: '^[Uu][Ss][Ee][Rr]$' };
const includeQuery = { include: includeValue, 'include[0]': includeValue };

export const queries = {
  login: { type: 'object', properties: { ...includeQuery } },
  logout: { type: 'object', properties: { ...tokenQuery, all: { type: 'string', enum: ['true', 'false', '1', '0'] } } },
  token: { type: 'object', properties: { ...tokenQuery } },
  validate: { type: 'object', properties: { ...tokenQuery, ...includeQuery } },
} as const;

export interface TokenQuery {
  access_token?: string;
}
export interface IncludeQuery {
  include?: string;
  'include[0]'?: string;
}
export interface LogoutQuery extends TokenQuery {
  all?: 'true' | 'false' | '1' | '0';
}

/**
 * The contract code for a field of the wrong type. Passwords count as "not given" (PASSWORD_REQUIRED):
 * the contract has no code for a malformed password and INVALID_PASSWORD means a wrong old password.
 */
const fieldCodes: Readonly<Record<string, ErrorCode>> = {
  email: ErrorCode.INVALID_EMAIL,
  ttl: ErrorCode.INVALID_TTL,
  password: ErrorCode.PASSWORD_REQUIRED,
  oldPassword: ErrorCode.PASSWORD_REQUIRED,
  newPassword: ErrorCode.PASSWORD_REQUIRED,
};

/** A schema failure as the AuthError of the first field that failed; the message never echoes the value. */
export function validationError(errors: readonly FastifySchemaValidationError[], context: string | undefined): AuthError {
  const first = errors[0];
  if (first?.keyword === 'additionalProperties') return new AuthError(ErrorCode.INVALID_ARGUMENT, 'request body has a field this route does not take');
  const field = first?.instancePath.split('/')[1];
  const where = context === 'querystring' ? 'query parameter' : 'field';
  if (!field) return new AuthError(ErrorCode.INVALID_ARGUMENT, `request ${context ?? 'body'} must be an object`);
  const code = context === 'body' ? (fieldCodes[field] ?? ErrorCode.INVALID_ARGUMENT) : ErrorCode.INVALID_ARGUMENT;
  // `field` is a key of our schema (ajv reports only declared properties), never a caller's free text.
  return new AuthError(code, `${where} ${field} has the wrong type or format`);
}
