import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { AuthError, ErrorCode } from '../../core/errors.js';
import type { AuthorizationStart, ExternalProfile, IdentityProvider } from '../../core/ports.js';
import type { ProviderSettings } from '../../identity-providers-config.js';
import type { Logger } from '../../logger.js';
import { externalLoginFailed, invalidIdToken, providerFailure, providerUnavailable, type Stage } from './failures.js';
import { OIDC_CLAIMS, profileFrom, type Claims } from './profile.js';

export interface ProviderOptions {
  /** Longest wait for any one request to the provider. */
  timeoutMs: number;
  logger: Logger;
  /** How soon after a key set fetch an unknown key may fetch it again (jose's cooldown; 30 s by default). */
  jwksCooldownMs?: number;
}

/** Clock skew allowed on an ID token's times, as openid-client allows on its own checks. */
const CLOCK_TOLERANCE_SECONDS = 30;
/** An ID token issued longer ago than this is no fresh sign-in, whatever its exp says. */
const ID_TOKEN_MAX_AGE = '24h';
/** Signature algorithms an ID token may use: asymmetric only (a client secret is no key a token should be checked with), never `none`. */
const ASYMMETRIC_ALGORITHMS = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']);

function clientAuthentication(settings: ProviderSettings): client.ClientAuth {
  const secret = settings.clientSecret;
  switch (settings.tokenEndpointAuthMethod) {
    case 'client_secret_basic':
      return client.ClientSecretBasic(secret);
    case 'client_secret_post':
      return client.ClientSecretPost(secret);
    case 'none':
      return client.None();
  }
}

/**
 * One configured provider on openid-client (discovery, PKCE, code exchange, ID token and userinfo
 * checks) and jose (ID tokens that arrive on their own, against the provider's key set with
 * rotation). OpenID Connect providers are discovered at first use and kept; a failed discovery is
 * tried again at the next call. Plain OAuth 2.0 providers are described by their endpoints.
 */
export class ExternalIdentityProvider implements IdentityProvider {
  readonly name: string;
  readonly redirectUris: readonly string[];
  readonly linkByVerifiedEmail: boolean;
  private configuration: Promise<client.Configuration> | undefined;
  private keySet: JWTVerifyGetKey | undefined;

  constructor(
    private readonly settings: ProviderSettings,
    private readonly options: ProviderOptions,
  ) {
    this.name = settings.name;
    this.redirectUris = settings.redirectUris;
    this.linkByVerifiedEmail = settings.linkByVerifiedEmail;
  }

  async startAuthorization(redirectUri: string): Promise<AuthorizationStart> {
    const config = await this.configured();
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = this.settings.kind === 'oidc' ? client.randomNonce() : undefined;
    const parameters: Record<string, string> = {
      redirect_uri: redirectUri,
      state,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    };
    if (this.settings.scopes.length > 0) parameters.scope = this.settings.scopes.join(' ');
    if (nonce !== undefined) parameters.nonce = nonce;
    return { url: client.buildAuthorizationUrl(config, parameters).href, state, nonce, codeVerifier };
  }

  async completeAuthorization(callbackUrl: URL, expected: { state: string; nonce: string | undefined; codeVerifier: string }): Promise<ExternalProfile> {
    const { settings } = this;
    const config = await this.configured();
    const tokens = await this.call('code-exchange', externalLoginFailed, () =>
      client.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: expected.codeVerifier,
        expectedState: expected.state,
        ...(settings.kind === 'oidc' ? { expectedNonce: expected.nonce, idTokenExpected: true } : {}),
      }),
    );
    const claims =
      settings.kind === 'oidc'
        ? await this.oidcClaims(config, tokens, settings.userinfo)
        : await this.userinfo(config, tokens.access_token, settings.userinfoEndpoint);
    const profile = profileFrom(claims, settings.kind === 'oidc' ? OIDC_CLAIMS : settings.claims);
    if (!profile) throw this.refused('userinfo', externalLoginFailed, 'no usable subject');
    return profile;
  }

  async verifyIdToken(idToken: string, expectedNonce: string | undefined, now: Date): Promise<ExternalProfile> {
    if (this.settings.kind !== 'oidc') throw new AuthError(ErrorCode.INVALID_ARGUMENT, 'this provider issues no ID tokens');
    const audiences = [this.settings.clientId, ...this.settings.idTokenClientIds];
    const metadata = (await this.configured()).serverMetadata();
    const keys = this.keys(metadata);
    const { payload } = await this.call('id-token', invalidIdToken, () =>
      jwtVerify(idToken, keys, {
        issuer: metadata.issuer,
        audience: audiences,
        algorithms: this.idTokenAlgorithms(metadata),
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        maxTokenAge: ID_TOKEN_MAX_AGE,
        requiredClaims: ['sub', 'exp', 'iat'],
        currentDate: now,
      }),
    );
    // Checks jwtVerify leaves to the relying party (OpenID Connect Core 3.1.3.7).
    if (expectedNonce !== undefined && payload.nonce !== expectedNonce) throw this.refused('id-token', invalidIdToken, 'nonce mismatch');
    if (payload.azp !== undefined && !audiences.includes(String(payload.azp))) throw this.refused('id-token', invalidIdToken, 'azp is not our client');
    const profile = profileFrom(payload, OIDC_CLAIMS);
    if (!profile) throw this.refused('id-token', invalidIdToken, 'no usable subject');
    return profile;
  }

  /** The ID token's claims, with userinfo's where the ID token has none (providers keep email there). */
  private async oidcClaims(
    config: client.Configuration,
    tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers,
    askUserinfo: boolean,
  ): Promise<Claims> {
    const idClaims = tokens.claims();
    if (!idClaims) throw this.refused('code-exchange', externalLoginFailed, 'no ID token');
    if (!askUserinfo || config.serverMetadata().userinfo_endpoint === undefined) return idClaims;
    const userinfo = await this.call('userinfo', externalLoginFailed, () => client.fetchUserInfo(config, tokens.access_token, idClaims.sub));
    return { ...userinfo, ...idClaims };
  }

  /** A plain OAuth 2.0 provider's userinfo: any JSON object, read through the claim mapping. */
  private async userinfo(config: client.Configuration, accessToken: string, userinfoEndpoint: string): Promise<Claims> {
    const endpoint = new URL(userinfoEndpoint);
    return this.call('userinfo', externalLoginFailed, async () => {
      const response = await client.fetchProtectedResource(config, accessToken, endpoint, 'GET', null, new Headers({ accept: 'application/json' }));
      if (!response.ok) throw response;
      const body: unknown = await response.json();
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new TypeError('userinfo is not a JSON object');
      return body as Claims;
    });
  }

  /**
   * Discovered (OpenID Connect) or built from the endpoints (OAuth 2.0), once; retried after a
   * failure. A provider that cannot be discovered cannot be used: PROVIDER_UNAVAILABLE, whatever the cause.
   */
  private configured(): Promise<client.Configuration> {
    this.configuration ??= this.call('discovery', providerUnavailable, () => this.configure()).catch((err: unknown) => {
      this.configuration = undefined;
      throw err;
    });
    return this.configuration;
  }

  private async configure(): Promise<client.Configuration> {
    const { settings } = this;
    const timeout = this.options.timeoutMs / 1000;
    const execute = [client.enableNonRepudiationChecks, ...(settings.allowInsecureHttp ? [client.allowInsecureRequests] : [])];
    const metadata: Partial<client.ClientMetadata> = { client_secret: settings.clientSecret, token_endpoint_auth_method: settings.tokenEndpointAuthMethod };
    const auth = clientAuthentication(settings);
    if (settings.kind === 'oidc') return client.discovery(new URL(settings.issuer), settings.clientId, metadata, auth, { execute, timeout });
    const config = new client.Configuration(
      {
        // openid-client wants an issuer; a provider that names none (GitHub) is known by its authorization endpoint.
        issuer: settings.issuer ?? new URL(settings.authorizationEndpoint).origin,
        authorization_endpoint: settings.authorizationEndpoint,
        token_endpoint: settings.tokenEndpoint,
      },
      settings.clientId,
      metadata,
      auth,
    );
    config.timeout = timeout;
    if (settings.allowInsecureHttp) client.allowInsecureRequests(config);
    return config;
  }

  /** The provider's key set, fetched when first needed and again (at most once per cooldown) when a token names a key it lacks. */
  private keys(metadata: client.ServerMetadata): JWTVerifyGetKey {
    if (this.keySet) return this.keySet;
    const uri = metadata.jwks_uri;
    if (uri === undefined || (!this.settings.allowInsecureHttp && new URL(uri).protocol !== 'https:')) {
      throw this.refused('id-token', providerUnavailable, 'no https jwks_uri');
    }
    this.keySet = createRemoteJWKSet(new URL(uri), { timeoutDuration: this.options.timeoutMs, cooldownDuration: this.options.jwksCooldownMs });
    return this.keySet;
  }

  /** What the provider says it signs ID tokens with, asymmetric only; RS256 when it does not say (OpenID Connect's default). */
  private idTokenAlgorithms(metadata: client.ServerMetadata): string[] {
    const algorithms = (metadata.id_token_signing_alg_values_supported ?? ['RS256']).filter((alg) => ASYMMETRIC_ALGORITHMS.has(alg));
    return algorithms.length > 0 ? algorithms : ['RS256'];
  }

  private async call<T>(stage: Stage, refused: () => AuthError, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (err) {
      throw providerFailure(err, this.name, stage, this.options.logger, refused);
    }
  }

  private refused(stage: Stage, error: () => AuthError, reason: string): AuthError {
    this.options.logger.warn({ provider: this.name, stage, reason }, 'identity provider answer refused');
    return error();
  }
}
