import { normalizeEmail, normalizeRealm } from '../accounts/identity.js';
import type { CoreContext } from '../context.js';
import { notify } from '../notify.js';
import { RESET_PASSWORD_SCOPE } from '../sessions/scopes.js';
import { issueToken } from '../sessions/tokens.js';
import { notificationAllowed } from '../throttle/notification-limit.js';

/**
 * ResetPassword: for a known email, a single-use reset token handed to the notifier. Always
 * resolves for a well-formed request, so that whether the email is known stays hidden.
 */
export async function resetPassword(ctx: CoreContext, emailInput: string, realmInput = ''): Promise<void> {
  const email = normalizeEmail(emailInput);
  const realm = normalizeRealm(realmInput);
  if (!(await notificationAllowed(ctx, 'reset', realm, email))) {
    ctx.logger.info({ realm }, 'password reset rate limited');
    return;
  }
  const user = await ctx.users.findByEmail(realm, email);
  if (!user || user.disabled) return;
  const token = await issueToken(ctx, user, ctx.policy.resetTokenTtlSeconds, [RESET_PASSWORD_SCOPE], 'reset');
  notify(ctx, {
    type: 'password-reset',
    email: user.email,
    userId: user.id,
    realm: user.realm,
    token: token.id,
    expiresAt: token.expiresAt ?? token.created,
  });
}
