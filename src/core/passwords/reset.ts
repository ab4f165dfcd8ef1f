import { normalizeEmail, normalizeRealm } from '../accounts/identity.js';
import type { CoreContext } from '../context.js';
import { RESET_PASSWORD_SCOPE } from '../sessions/scopes.js';
import { issueToken } from '../sessions/tokens.js';
import { resetAllowed } from '../throttle/reset-limit.js';

/**
 * ResetPassword: for a known email, a single-use reset token handed to the notifier. Always
 * resolves for a well-formed request, so that whether the email is known stays hidden.
 */
export async function resetPassword(ctx: CoreContext, emailInput: string, realmInput = ''): Promise<void> {
  const email = normalizeEmail(emailInput);
  const realm = normalizeRealm(realmInput);
  if (!(await resetAllowed(ctx, realm, email))) {
    ctx.logger.info({ realm }, 'password reset rate limited');
    return;
  }
  const user = await ctx.users.findByEmail(realm, email);
  if (!user) return;
  const token = await issueToken(ctx, user, ctx.policy.resetTokenTtlSeconds, [RESET_PASSWORD_SCOPE], 'reset');
  // Not awaited: delivery (with its retries) must not show in the answer's timing.
  void ctx.notifier.notify({
    email: user.email,
    userId: user.id,
    realm: user.realm,
    token: token.id,
    expiresAt: token.expiresAt ?? token.created,
  });
}
