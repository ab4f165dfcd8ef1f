import { createHash, randomBytes } from 'node:crypto';
import { AuthError, ErrorCode, StoreUnavailableError, toAuthError } from './errors.js';
import type { Logger } from './logger.js';
import type { LoginOutcome, Metrics, RevokeReason, TokenKind } from './metrics.js';
import type { ResetNotifier } from './notifier.js';
import type { PasswordHasher } from './passwords.js';
import { DuplicateKeyError, type Store, type TokenRecord, type UserRecord } from './store/store.js';
import { generateToken, hashToken, isWellFormedToken } from './tokens.js';
import { checkNewPassword, checkRealm, checkUsername, fitsBcrypt, normalizeEmail } from './validation.js';

const RESET_PASSWORD_SCOPE = 'reset-password';
/** Failed password checks older than this (counted from the first) are forgotten. */
const FAILURES_REMEMBERED_MS = 24 * 3600_000;
/** LoopBack's sentinel for a token that never expires. */
const ETERNAL_TTL = -1;

export interface AuthPolicy {
  defaultTtlSeconds: number;
  maxTtlSeconds: number;
  allowEternalTokens: boolean;
  resetTokenTtlSeconds: number;
  loginMaxFailures: number;
  loginLockBaseMs: number;
  loginLockMaxMs: number;
  resetMaxPerWindow: number;
  resetWindowMs: number;
}

export interface AuthServiceDeps {
  store: Store;
  hasher: PasswordHasher;
  notifier: ResetNotifier;
  policy: AuthPolicy;
  logger: Logger;
  metrics?: Metrics;
  now?: () => Date;
  /** False while health checks find the database down: calls then fail fast instead of waiting on the driver. */
  storeAvailable?: () => boolean;
}

export interface LoginInput {
  email?: string;
  username?: string;
  password: string;
  realm?: string;
  /** 0 or undefined: the default. */
  ttlSeconds?: number;
  includeUser?: boolean;
}

export interface IssuedToken {
  /** The token itself: shown once, here, and never stored. */
  id: string;
  ttlSeconds: number;
  created: Date;
  expiresAt: Date | undefined;
  userId: string;
  scopes: string[];
}

export interface PublicUser {
  id: string;
  email: string;
  username: string | undefined;
  realm: string;
  emailVerified: boolean;
  created: Date;
}

export interface LoginResult {
  token: IssuedToken;
  user: PublicUser | undefined;
}

export interface ValidateInput {
  accessToken: string;
  requiredScopes?: string[];
  includeUser?: boolean;
}

export type Validation =
  | { active: false }
  | {
      active: true;
      userId: string;
      realm: string;
      scopes: string[];
      created: Date;
      expiresAt: Date | undefined;
      ttlSeconds: number;
      user: PublicUser | undefined;
    };

export interface CreateUserInput {
  email: string;
  username?: string;
  password: string;
  realm?: string;
}

const INACTIVE: Validation = { active: false };

function invalidToken(): AuthError {
  return new AuthError(ErrorCode.INVALID_TOKEN, 'invalid or expired access token');
}

function loginFailed(): AuthError {
  return new AuthError(ErrorCode.LOGIN_FAILED, 'login failed');
}

function toPublicUser(user: UserRecord): PublicUser {
  return {
    id: user.id,
    email: user.email,
    username: user.username,
    realm: user.realm,
    emailVerified: user.emailVerified,
    created: user.created,
  };
}

/** Counter keys hold a hash, so that the counters collection never stores an email or username. */
function counterKey(kind: 'login' | 'reset', realm: string, identity: string): string {
  return `${kind}:${createHash('sha256').update(`${realm}\u0000${identity}`).digest('hex')}`;
}

/**
 * The use cases of docs/contract.md, free of any transport. Every method either returns its result
 * or throws an AuthError; store and driver failures are turned into one here.
 */
export class AuthService {
  private readonly store: Store;
  private readonly hasher: PasswordHasher;
  private readonly notifier: ResetNotifier;
  private readonly policy: AuthPolicy;
  private readonly logger: Logger;
  private readonly metrics: Metrics | undefined;
  private readonly now: () => Date;
  private readonly storeAvailable: () => boolean;

  constructor(deps: AuthServiceDeps) {
    this.store = deps.store;
    this.hasher = deps.hasher;
    this.notifier = deps.notifier;
    this.policy = deps.policy;
    this.logger = deps.logger;
    this.metrics = deps.metrics;
    this.now = deps.now ?? (() => new Date());
    this.storeAvailable = deps.storeAvailable ?? (() => true);
  }

  login(input: LoginInput): Promise<LoginResult> {
    return this.run(async () => {
      const realm = checkRealm(input.realm ?? '');
      const identity = this.loginIdentity(input);
      if (input.password === '') throw new AuthError(ErrorCode.PASSWORD_REQUIRED, 'password is required');
      const ttlSeconds = this.resolveTtl(input.ttlSeconds ?? 0);

      const user =
        identity.field === 'email'
          ? await this.store.findUserByEmail(realm, identity.value)
          : await this.store.findUserByUsername(realm, identity.value);
      const ok = await this.checkPassword(counterKey('login', realm, `${identity.field}:${identity.value}`), async () =>
        // Unknown users pay for a bcrypt compare too, so that timing does not tell them apart.
        user !== undefined && fitsBcrypt(input.password)
          ? this.hasher.verify(input.password, user.passwordHash)
          : this.hasher.verifyNothing(input.password),
      );
      if (!ok || user === undefined) {
        this.countLogin('failure');
        throw loginFailed();
      }
      const token = await this.issueToken(user, ttlSeconds, [], 'access');
      this.countLogin('success');
      return { token, user: input.includeUser ? toPublicUser(user) : undefined };
    });
  }

  logout(accessToken: string, allSessions = false): Promise<number> {
    return this.run(async () => {
      const token = await this.requireToken(accessToken);
      if (allSessions) {
        const revoked = await this.store.deleteUserTokens(token.userId);
        this.countRevoked('logout-all', revoked);
        return revoked;
      }
      // A concurrent logout may have taken it first: then this call revoked nothing.
      if (!(await this.store.takeToken(token.hash))) throw invalidToken();
      this.countRevoked('logout', 1);
      return 1;
    });
  }

  /** Always resolves for a well-formed request: whether the email is known stays hidden. */
  resetPassword(emailInput: string, realmInput = ''): Promise<void> {
    return this.run(async () => {
      const email = normalizeEmail(emailInput);
      const realm = checkRealm(realmInput);
      const now = this.now();
      const counter = await this.store.hitCounter(
        counterKey('reset', realm, email),
        now,
        new Date(now.getTime() - this.policy.resetWindowMs),
      );
      if (counter.count > this.policy.resetMaxPerWindow) {
        this.logger.info({ realm }, 'password reset rate limited');
        return;
      }
      const user = await this.store.findUserByEmail(realm, email);
      if (!user) return;
      const token = await this.issueToken(user, this.policy.resetTokenTtlSeconds, [RESET_PASSWORD_SCOPE], 'reset');
      // Not awaited: delivery (with its retries) must not show in the answer's timing.
      void this.notifier.notify({
        email: user.email,
        userId: user.id,
        realm: user.realm,
        token: token.id,
        expiresAt: token.expiresAt ?? now,
      });
    });
  }

  setPassword(resetToken: string, newPassword: string): Promise<void> {
    return this.run(async () => {
      checkNewPassword(newPassword);
      const token = await this.requireToken(resetToken, [RESET_PASSWORD_SCOPE]);
      const passwordHash = await this.hasher.hash(newPassword);
      // The atomic take is what makes the token single-use: of two concurrent calls, one gets it.
      if (!(await this.store.takeToken(token.hash))) throw invalidToken();
      this.countRevoked('reset-used', 1);
      await this.store.setPasswordHash(token.userId, passwordHash);
      this.countRevoked('password-set', await this.store.deleteUserTokens(token.userId));
    });
  }

  changePassword(accessToken: string, oldPassword: string, newPassword: string): Promise<void> {
    return this.run(async () => {
      const token = await this.requireToken(accessToken);
      if (oldPassword === '') throw new AuthError(ErrorCode.PASSWORD_REQUIRED, 'old password is required');
      checkNewPassword(newPassword);
      const user = await this.store.findUserById(token.userId);
      if (!user) throw invalidToken();
      // Guessing the old password with a stolen token is guessing a login: same lock, same account.
      const ok = await this.checkPassword(
        counterKey('login', user.realm, `email:${user.email}`),
        async () => fitsBcrypt(oldPassword) && this.hasher.verify(oldPassword, user.passwordHash),
      );
      if (!ok) throw new AuthError(ErrorCode.INVALID_PASSWORD, 'old password is wrong');
      await this.store.setPasswordHash(user.id, await this.hasher.hash(newPassword));
      this.countRevoked('password-changed', await this.store.deleteUserTokens(user.id, token.hash));
    });
  }

  /** The hot path: a hash and one indexed lookup (two with includeUser). */
  validateToken(input: ValidateInput): Promise<Validation> {
    return this.run(async () => {
      if (input.accessToken === '') throw new AuthError(ErrorCode.INVALID_ARGUMENT, 'access token is required');
      const token = await this.findActiveToken(input.accessToken, input.requiredScopes ?? []);
      if (!token) return INACTIVE;
      let user: PublicUser | undefined;
      if (input.includeUser) {
        const record = await this.store.findUserById(token.userId);
        if (!record) return INACTIVE;
        user = toPublicUser(record);
      }
      return {
        active: true,
        userId: token.userId,
        realm: token.realm,
        scopes: token.scopes,
        created: token.created,
        expiresAt: token.expiresAt,
        ttlSeconds: token.ttlSeconds,
        user,
      };
    });
  }

  createUser(input: CreateUserInput): Promise<PublicUser> {
    return this.run(async () => {
      const email = normalizeEmail(input.email);
      const username = input.username ? checkUsername(input.username) : undefined;
      const realm = checkRealm(input.realm ?? '');
      checkNewPassword(input.password);
      const user: UserRecord = {
        id: randomBytes(12).toString('hex'),
        realm,
        email,
        username,
        passwordHash: await this.hasher.hash(input.password),
        emailVerified: false,
        created: this.now(),
      };
      try {
        await this.store.createUser(user);
      } catch (err) {
        if (err instanceof DuplicateKeyError) {
          throw err.field === 'email'
            ? new AuthError(ErrorCode.EMAIL_EXISTS, 'email already exists')
            : new AuthError(ErrorCode.USERNAME_EXISTS, 'username already exists');
        }
        throw err;
      }
      return toPublicUser(user);
    });
  }

  /** Runs a use case so that whatever it throws leaves as an AuthError. */
  private async run<T>(useCase: () => Promise<T>): Promise<T> {
    try {
      if (!this.storeAvailable()) throw new StoreUnavailableError(new Error('health check failed'));
      return await useCase();
    } catch (err) {
      const error = toAuthError(err);
      if (error.code === ErrorCode.INTERNAL) this.logger.error({ err }, 'unexpected failure');
      else if (err instanceof StoreUnavailableError) this.logger.warn({ reason: err.message }, 'database unavailable');
      throw error;
    }
  }

  private loginIdentity(input: LoginInput): { field: 'email' | 'username'; value: string } {
    if (input.email) return { field: 'email', value: normalizeEmail(input.email) };
    if (input.username) return { field: 'username', value: checkUsername(input.username) };
    throw new AuthError(ErrorCode.USERNAME_EMAIL_REQUIRED, 'username or email is required');
  }

  private resolveTtl(ttl: number): number {
    if (!Number.isSafeInteger(ttl)) throw new AuthError(ErrorCode.INVALID_TTL, 'ttl must be an integer');
    if (ttl === 0) return this.policy.defaultTtlSeconds;
    if (ttl === ETERNAL_TTL) {
      if (this.policy.allowEternalTokens) return ETERNAL_TTL;
      throw new AuthError(ErrorCode.INVALID_TTL, 'tokens that never expire are not allowed');
    }
    if (ttl < 0) throw new AuthError(ErrorCode.INVALID_TTL, 'ttl must be positive, 0 for the default, or -1');
    return Math.min(ttl, this.policy.maxTtlSeconds);
  }

  /**
   * Runs a password check under the account's throttle: refused while the account is locked,
   * a failure counted (in the store, so every replica sees it), a success clearing the count.
   */
  private async checkPassword(throttleKey: string, check: () => Promise<boolean>): Promise<boolean> {
    const failures = await this.store.getCounter(throttleKey);
    this.refuseWhileLocked(failures?.count ?? 0, failures?.last);
    const ok = await check();
    if (!ok) {
      const now = this.now();
      await this.store.hitCounter(throttleKey, now, new Date(now.getTime() - FAILURES_REMEMBERED_MS));
    } else if (failures) {
      await this.store.deleteCounter(throttleKey);
    }
    return ok;
  }

  /** After loginMaxFailures consecutive failures the account is locked for a delay that doubles per further failure. */
  private refuseWhileLocked(failures: number, lastFailure: Date | undefined): void {
    if (lastFailure === undefined || failures < this.policy.loginMaxFailures) return;
    const doublings = failures - this.policy.loginMaxFailures;
    const lockMs = Math.min(this.policy.loginLockMaxMs, this.policy.loginLockBaseMs * 2 ** Math.min(doublings, 40));
    const retryAfterMs = lastFailure.getTime() + lockMs - this.now().getTime();
    if (retryAfterMs > 0) {
      this.countLogin('throttled');
      throw new AuthError(ErrorCode.TOO_MANY_ATTEMPTS, 'too many failed login attempts, try again later', {
        retryAfterMs,
      });
    }
  }

  private async issueToken(user: UserRecord, ttlSeconds: number, scopes: string[], kind: TokenKind): Promise<IssuedToken> {
    const id = generateToken();
    const created = this.now();
    const expiresAt = ttlSeconds === ETERNAL_TTL ? undefined : new Date(created.getTime() + ttlSeconds * 1000);
    await this.store.insertToken({ hash: hashToken(id), userId: user.id, realm: user.realm, scopes, created, ttlSeconds, expiresAt });
    this.metrics?.tokensIssued.inc({ kind });
    return { id, ttlSeconds, created, expiresAt, userId: user.id, scopes };
  }

  /**
   * The token if it exists, has not expired, and carries exactly the scopes the caller
   * accepts: every required scope, and no scope the caller did not name.
   */
  private async findActiveToken(token: string, acceptedScopes: string[]): Promise<TokenRecord | undefined> {
    if (!isWellFormedToken(token)) return undefined;
    const record = await this.store.findToken(hashToken(token));
    if (!record) return undefined;
    if (record.expiresAt !== undefined && record.expiresAt.getTime() <= this.now().getTime()) return undefined;
    const held = new Set(record.scopes);
    if (acceptedScopes.some((scope) => !held.has(scope))) return undefined;
    if (record.scopes.some((scope) => !acceptedScopes.includes(scope))) return undefined;
    return record;
  }

  private async requireToken(token: string, acceptedScopes: string[] = []): Promise<TokenRecord> {
    if (token === '') throw new AuthError(ErrorCode.INVALID_TOKEN, 'access token is required');
    const record = await this.findActiveToken(token, acceptedScopes);
    if (!record) throw invalidToken();
    return record;
  }

  private countLogin(outcome: LoginOutcome): void {
    this.metrics?.logins.inc({ outcome });
  }

  private countRevoked(reason: RevokeReason, count: number): void {
    if (count > 0) this.metrics?.tokensRevoked.inc({ reason }, count);
  }
}
