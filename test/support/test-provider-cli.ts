/**
 * The tests' OpenID provider, on its own, for trying external logins by hand (the README's grpcurl
 * walk-through): `node --import tsx test/support/test-provider-cli.ts [PUBLIC_URL]`. It prints the
 * environment to start the service with and an account to sign in as; Ctrl-C stops it.
 */
import { startExternalWorld } from './external-providers.js';

const publicUrl = process.argv[2];
const world = await startExternalWorld(publicUrl ? { publicUrl } : {});
const account = world.provider.addAccount({ email: 'ada@example.com', email_verified: true, name: 'Ada Lovelace' });
const env = { IDENTITY_PROVIDERS_FILE: world.providersFile, ...world.env, ...(publicUrl ? { PUBLIC_URL: publicUrl } : {}) };

process.stdout.write(
  [
    `OpenID provider: ${world.provider.issuer} (providers in the file: oidc, strict, github, down, slow)`,
    'Start the service with:',
    `  ${Object.entries(env).map(([name, value]) => `${name}=${value}`).join(' ')} npm start`,
    `Sign in at the provider as: ${account} (any password); it is ada@example.com, verified.`,
    '',
  ].join('\n'),
);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void world.stop().then(() => process.exit(0)));
}
