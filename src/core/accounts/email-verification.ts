import type { UserRecord } from '../../storage/users/port.js';
import type { CallOptions } from '../call.js';
import type { CoreContext } from '../context.js';
import { AuthError, ErrorCode } from '../errors.js';
import { notify } from '../notify.js';
import { VERIFY_EMAIL_SCOPE } from '../sessions/scopes.js';
import { findActiveToken, issueToken } from '../sessions/tokens.js';
import { notificationAllowed } from '../throttle/notification-limit.js';
import { normalizeEmail, normalizeRealm } from './identity.js';

/**
 * Email verification as LoopBack's User does it (`verify`, `confirm`, `emailVerificationRequired`),
 * with single-use tokens that expire, stored as hashes like every token.
 */

/** Issues a verification token (scope verify-email) and hands it to the notifier. */
export async function sendVerification(ctx: CoreContext, user: UserRecord, call: CallOptions = {}): Promise<void> {
  const token = await issueToken(ctx, user, ctx.policy.verificationTokenTtlSeconds, [VERIFY_EMAIL_SCOPE], 'verification', call);
  notify(ctx, {
    type: 'email-verification',
    email: user.email,
    userId: user.id,
    realm: user.realm,
    token: token.id,
    expiresAt: token.expiresAt ?? token.created,
  });
  ctx.events.emailVerification('sent');
}

/** Whether one more verification may go to this email now (the same limit as password resets). */
async function withinLimit(ctx: CoreContext, realm: string, email: string): Promise<boolean> {
  if (await notificationAllowed(ctx, 'verify', realm, email)) return true;
  ctx.events.emailVerification('limited');
  return false;
}

/**
 * RequestEmailVerification: sends a fresh token to an account's unverified email. Always resolves
 * for a well-formed request, so that it tells nothing of which emails exist or are verified; the
 * request counts towards the email's limit before the email is looked up, as ResetPassword's does.
 */
export async function requestEmailVerification(ctx: CoreContext, emailInput: string, realmInput = ''): Promise<void> {
  const email = normalizeEmail(emailInput);
  const realm = normalizeRealm(realmInput);
  if (!(await withinLimit(ctx, realm, email))) return;
  const user = await ctx.users.findByEmail(realm, email);
  if (user && !user.emailVerified && !user.disabled) await sendVerification(ctx, user);
}

/**
 * As requestEmailVerification, by user id (LoopBack's `POST /api/users/{id}/verify`). Ids are
 * random, so only a known one counts towards its email's limit.
 */
export async function requestEmailVerificationById(ctx: CoreContext, userId: string): Promise<void> {
  const user = userId === '' ? undefined : await ctx.users.findById(userId);
  if (!user || user.emailVerified || user.disabled || !(await withinLimit(ctx, user.realm, user.email))) return;
  await sendVerification(ctx, user);
}

const refused = (ctx: CoreContext): AuthError => {
  ctx.events.emailVerification('refused');
  return new AuthError(ErrorCode.INVALID_TOKEN, 'invalid or expired verification token');
};

/**
 * ConfirmEmail: consumes a verification token of the user and marks the user's email verified. A
 * token that is wrong, used, expired or another user's is refused alike (INVALID_TOKEN), and
 * another user's token is left unused. The email marked is the one the user had when the token
 * was checked: if it changed since, nothing is marked.
 */
export async function confirmEmail(ctx: CoreContext, userId: string, token: string): Promise<void> {
  if (userId === '') throw new AuthError(ErrorCode.INVALID_ARGUMENT, 'user id is required');
  if (token === '') throw new AuthError(ErrorCode.INVALID_TOKEN, 'verification token is required');
  const record = await findActiveToken(ctx, token, [VERIFY_EMAIL_SCOPE]);
  if (!record || record.userId !== userId) throw refused(ctx);
  const user = await ctx.users.findById(userId);
  // The atomic take makes the token single-use: of concurrent confirmations, one goes on.
  if (!user || !(await ctx.tokens.take(record.hash))) throw refused(ctx);
  if (!(await ctx.users.markEmailVerified(userId, user.email))) throw refused(ctx);
  ctx.events.emailVerification('confirmed');
}
