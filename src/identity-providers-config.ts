import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { PROVIDER_NAME } from './core/external/providers.js';
import { VERIFY_PATH } from './transport/forward-auth/routes.js';

/**
 * IDENTITY_PROVIDERS_FILE: the external providers users may log in through, read and checked at
 * start. Every problem is reported, one line each, naming its place in the file (never a value).
 * Secrets are never in the file: a provider names the environment variable that holds its secret.
 */

/** Names whose `/auth/{name}` is another route already: forward auth's /auth/verify. */
const TAKEN_NAMES: ReadonlySet<string> = new Set([VERIFY_PATH.slice('/auth/'.length)]);

const url = z.url({ protocol: /^https?$/ });
const urls = z.array(url);
/** A claim name in a provider's userinfo answer: a plain JSON key, looked up literally. */
const claimName = z.string().regex(/^[A-Za-z0-9_:.-]{1,64}$/, 'must be a claim name');

const common = {
  clientId: z.string().min(1),
  /** The environment variable holding the client secret; absent for a public client (PKCE alone). */
  clientSecretEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name').optional(),
  /** How the secret reaches the token endpoint. */
  tokenEndpointAuthMethod: z.enum(['client_secret_basic', 'client_secret_post', 'none']).optional(),
  /** Where StartExternalLogin may send the browser back (the app's own callbacks); the REST callback is added. */
  redirectUris: urls.default([]),
  scopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'must be a scope token')).optional(),
  /** Link a new identity to the account with the same email when the provider says it is verified. */
  linkByVerifiedEmail: z.boolean().default(false),
  /** Plain HTTP to the provider: for tests on loopback only, refused in production. */
  allowInsecureHttp: z.boolean().default(false),
  /** A secret kept in the file by mistake: refused with a line saying where it belongs. */
  clientSecret: z.never({ error: 'secrets are not kept in the file: name an environment variable with clientSecretEnv' }).optional(),
};

/** An OpenID Connect provider: everything else comes from its discovery document. */
const oidcProvider = z.strictObject({
  ...common,
  issuer: url,
  /** Other client ids whose ID tokens ExchangeIdToken accepts (a mobile app's, say). */
  idTokenClientIds: z.array(z.string().min(1)).default([]),
  /** Also ask the userinfo endpoint after the code exchange (claims a provider keeps out of the ID token). */
  userinfo: z.boolean().default(true),
});

/** A plain OAuth 2.0 provider (GitHub, Facebook): its endpoints and where its userinfo answer keeps each claim. */
const oauth2Provider = z.strictObject({
  ...common,
  /** Only for a provider that names itself in its redirects (`iss`, RFC 9207). */
  issuer: url.optional(),
  authorizationEndpoint: url,
  tokenEndpoint: url,
  userinfoEndpoint: url,
  claims: z.strictObject({
    subject: claimName,
    email: claimName.optional(),
    emailVerified: claimName.optional(),
    name: claimName.optional(),
  }),
});

const file = z.strictObject({
  /** Where the REST callback sends the browser after a login, the token in the fragment. Unset: it answers JSON. */
  successUrl: url.optional(),
  /** Where the REST callback sends the browser after a failure, `?error=CODE` added. Unset: it answers the error. */
  failureUrl: url.optional(),
  /** Origins `returnTo` may point at (the success URL's origin always may). */
  returnToOrigins: z.array(url).default([]),
  providers: z.record(z.string(), z.unknown()),
});

interface ProviderCommon {
  name: string;
  clientId: string;
  /** Read from clientSecretEnv at start. */
  clientSecret: string | undefined;
  tokenEndpointAuthMethod: 'client_secret_basic' | 'client_secret_post' | 'none';
  /** The configured ones, and the REST callback when PUBLIC_URL is set. */
  redirectUris: string[];
  scopes: string[];
  linkByVerifiedEmail: boolean;
  allowInsecureHttp: boolean;
}
export interface OidcProviderSettings extends ProviderCommon {
  kind: 'oidc';
  issuer: string;
  idTokenClientIds: string[];
  userinfo: boolean;
}
export interface OAuth2ProviderSettings extends ProviderCommon {
  kind: 'oauth2';
  issuer: string | undefined;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  userinfoEndpoint: string;
  claims: { subject: string; email?: string | undefined; emailVerified?: string | undefined; name?: string | undefined };
}
export type ProviderSettings = OidcProviderSettings | OAuth2ProviderSettings;

export interface IdentityProvidersSettings {
  successUrl: string | undefined;
  failureUrl: string | undefined;
  /** Origins (scheme://host[:port]) a REST returnTo may point at. */
  returnToOrigins: string[];
  providers: ProviderSettings[];
}

export interface ProvidersFileContext {
  env: Readonly<Record<string, string | undefined>>;
  production: boolean;
  /** PUBLIC_URL, when set: each provider's REST callback is added to its redirect URIs. */
  publicUrl: string | undefined;
}

const linesOf = (where: string, error: z.ZodError): string[] =>
  error.issues.map((issue) => {
    const path = [where, ...issue.path.map(String)].filter(Boolean).join('.');
    return `${path ? `${path}: ` : ''}${issue.message}`;
  });

/** URLs a provider talks to or sends browsers to, by the key that holds them. */
function urlsOf(settings: ProviderSettings): Array<[string, string | undefined]> {
  if (settings.kind === 'oidc') return [['issuer', settings.issuer]];
  return [
    ['authorizationEndpoint', settings.authorizationEndpoint],
    ['tokenEndpoint', settings.tokenEndpoint],
    ['userinfoEndpoint', settings.userinfoEndpoint],
    ['issuer', settings.issuer],
  ];
}

/** One provider's entry: its settings, or the lines saying what is wrong with it. */
function checkProvider(name: string, raw: unknown, context: ProvidersFileContext): ProviderSettings | string[] {
  const where = `providers.${name}`;
  if (!PROVIDER_NAME.test(name)) return [`${where}: a provider name is 1 to 32 of a-z 0-9 _ -, starting with a letter or digit`];
  if (TAKEN_NAMES.has(name)) return [`${where}: the name is taken: /auth/${name} is another route`];
  const isOAuth2 = typeof raw === 'object' && raw !== null && 'authorizationEndpoint' in raw;
  const parsed = (isOAuth2 ? oauth2Provider : oidcProvider).safeParse(raw);
  if (!parsed.success) return linesOf(where, parsed.error);
  const entry = parsed.data;
  const problems: string[] = [];

  let clientSecret: string | undefined;
  if (entry.clientSecretEnv !== undefined) {
    clientSecret = context.env[entry.clientSecretEnv] || undefined;
    if (clientSecret === undefined) problems.push(`${where}.clientSecretEnv: the environment variable ${entry.clientSecretEnv} is not set`);
  }
  const tokenEndpointAuthMethod = entry.tokenEndpointAuthMethod ?? (entry.clientSecretEnv === undefined ? 'none' : 'client_secret_post');
  if (tokenEndpointAuthMethod !== 'none' && entry.clientSecretEnv === undefined) {
    problems.push(`${where}.tokenEndpointAuthMethod: ${tokenEndpointAuthMethod} needs clientSecretEnv`);
  }

  const redirectUris = [...entry.redirectUris];
  if (context.publicUrl !== undefined) redirectUris.push(restCallbackUrl(context.publicUrl, name));
  if (redirectUris.length === 0) problems.push(`${where}.redirectUris: none given and PUBLIC_URL is not set, so no login could come back`);
  entry.redirectUris.forEach((uri, i) => {
    if (new URL(uri).hash !== '') problems.push(`${where}.redirectUris.${i}: a redirect URI has no fragment`);
  });

  const base = {
    name,
    clientId: entry.clientId,
    clientSecret,
    tokenEndpointAuthMethod,
    redirectUris,
    linkByVerifiedEmail: entry.linkByVerifiedEmail,
    allowInsecureHttp: entry.allowInsecureHttp,
  };
  const settings: ProviderSettings =
    'authorizationEndpoint' in entry
      ? {
          ...base,
          kind: 'oauth2',
          scopes: entry.scopes ?? [],
          issuer: entry.issuer,
          authorizationEndpoint: entry.authorizationEndpoint,
          tokenEndpoint: entry.tokenEndpoint,
          userinfoEndpoint: entry.userinfoEndpoint,
          claims: entry.claims,
        }
      : {
          ...base,
          kind: 'oidc',
          scopes: entry.scopes ?? ['openid', 'email', 'profile'],
          issuer: entry.issuer,
          idTokenClientIds: entry.idTokenClientIds,
          userinfo: entry.userinfo,
        };
  if (settings.kind === 'oidc' && !settings.scopes.includes('openid')) problems.push(`${where}.scopes: an OpenID Connect provider needs the openid scope`);

  if (entry.allowInsecureHttp && context.production) problems.push(`${where}.allowInsecureHttp: refused when NODE_ENV=production`);
  if (!entry.allowInsecureHttp) {
    for (const [key, value] of urlsOf(settings)) {
      if (value !== undefined && new URL(value).protocol !== 'https:') problems.push(`${where}.${key}: must be https (allowInsecureHttp is for tests on loopback)`);
    }
  }
  return problems.length > 0 ? problems : settings;
}

/** The REST flow's own callback for a provider. */
export function restCallbackUrl(publicUrl: string, provider: string): string {
  return new URL(`auth/${provider}/callback`, publicUrl.endsWith('/') ? publicUrl : `${publicUrl}/`).href;
}

/**
 * Reads and checks the providers file. Resolves to the settings, or throws an Error whose message
 * is one line per problem (each naming IDENTITY_PROVIDERS_FILE and the place in the file).
 */
export function loadIdentityProviders(path: string, context: ProvidersFileContext): IdentityProvidersSettings {
  const fail = (lines: string[]): never => {
    throw new ProvidersFileError(lines.map((line) => `IDENTITY_PROVIDERS_FILE ${line}`));
  };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return fail([`cannot be read: ${(err as NodeJS.ErrnoException).code ?? 'unknown error'}`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return fail([`is not valid JSON: ${err instanceof Error ? err.message : 'unknown error'}`]);
  }
  const parsed = file.safeParse(json);
  if (!parsed.success) return fail(linesOf('', parsed.error));

  const problems: string[] = [];
  const providers: ProviderSettings[] = [];
  for (const [name, raw] of Object.entries(parsed.data.providers)) {
    const result = checkProvider(name, raw, context);
    if (Array.isArray(result)) problems.push(...result);
    else providers.push(result);
  }
  if (Object.keys(parsed.data.providers).length === 0) problems.push('providers: none configured');
  const { successUrl, failureUrl } = parsed.data;
  if ((successUrl !== undefined || failureUrl !== undefined) && context.publicUrl === undefined) {
    problems.push('successUrl, failureUrl: the REST flow they serve needs PUBLIC_URL');
  }
  if (problems.length > 0) fail(problems);

  const returnToOrigins = [...parsed.data.returnToOrigins.map((origin) => new URL(origin).origin)];
  if (successUrl !== undefined) returnToOrigins.push(new URL(successUrl).origin);
  return { successUrl, failureUrl, returnToOrigins: [...new Set(returnToOrigins)], providers };
}

/** Every problem of the providers file, one line each. */
export class ProvidersFileError extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
    this.name = 'ProvidersFileError';
  }
}
