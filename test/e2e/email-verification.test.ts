/**
 * Email verification end to end with EMAIL_VERIFICATION_REQUIRED=true: the token through the signed
 * webhook, ConfirmEmail and RequestEmailVerification on gRPC, LoopBack's verify and confirm routes on
 * REST, against the built server on both stores.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status, type ServiceError } from '@grpc/grpc-js';
import { signBody } from '../../src/adapters/notifiers.js';
import { ConfirmEmailResponse, RequestEmailVerificationResponse } from '../../src/gen/auth/v1/auth.js';
import { ErrorInfo } from '../../src/gen/google/rpc/error_details.js';
import { Status } from '../../src/gen/google/rpc/status.js';
import { connect, errorDetails, type Client } from '../support/grpc-client.js';
import { startMongo } from '../support/mongo.js';
import { startServer, type ServerProcess } from '../support/server-process.js';
import { startWebhookReceiver, type Delivery } from '../support/webhook.js';

const PASSWORD = 'correct horse battery';
const SECRET = 'verification-webhook-secret';
const APP = 'https://app.example.com';

/** The ErrorInfo metadata of a gRPC error. */
function errorMetadata(err: ServiceError): Record<string, string> {
  const raw = err.metadata?.get('grpc-status-details-bin')[0];
  const info = raw instanceof Buffer ? Status.decode(raw).details.find((any) => any.typeUrl.endsWith('google.rpc.ErrorInfo')) : undefined;
  return info ? ErrorInfo.decode(info.value).metadata : {};
}

function describeVerification(storeName: string, storeEnv: () => Promise<{ env: Record<string, string>; stop(): Promise<void> }>) {
  describe(`email verification end to end (${storeName} store)`, () => {
    let server: ServerProcess;
    let client: Client;
    let webhook: Awaited<ReturnType<typeof startWebhookReceiver>>;
    let database: { env: Record<string, string>; stop(): Promise<void> };
    let counter = 0;

    before(async () => {
      database = await storeEnv();
      webhook = await startWebhookReceiver();
      server = await startServer({
        ...database.env,
        EMAIL_VERIFICATION_REQUIRED: 'true',
        EMAIL_VERIFICATION_REDIRECT_ORIGINS: APP,
        RESET_WEBHOOK_URL: webhook.url,
        RESET_WEBHOOK_SECRET: SECRET,
      });
      client = connect(server.grpcAddress);
    });

    after(async () => {
      client?.close();
      assert.equal(await server?.stop(), 0);
      await webhook?.close();
      await database?.stop();
    });

    /** The next delivery, checked: signed, typed, with an event id. */
    async function nextDelivery(type: string, action: () => Promise<unknown>): Promise<Delivery> {
      const count = webhook.deliveries.length;
      await action();
      const delivery = await webhook.waitFor(count + 1);
      assert.equal(delivery.headers['x-signature'], signBody(delivery.raw, SECRET));
      assert.equal(delivery.body.type, type);
      assert.match(delivery.body.id, /^[0-9a-f-]{36}$/);
      assert.ok(Math.abs(Date.parse(delivery.body.occurredAt) - Date.now()) < 60_000);
      return delivery;
    }

    const grpcLogin = (email: string, password = PASSWORD) =>
      client.login({ email, username: '', password, realm: '', ttlSeconds: 0, includeUser: true });
    const rest = async (method: string, path: string, json?: unknown) => {
      const response = await fetch(server.httpUrl + path, {
        method,
        redirect: 'manual',
        headers: json === undefined ? {} : { 'content-type': 'application/json' },
        body: json === undefined ? undefined : JSON.stringify(json),
      });
      const text = await response.text();
      return { status: response.status, location: response.headers.get('location'), json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
    };

    it('on gRPC: the token at sign-up, login refused after the right password only, ConfirmEmail once, then login', async () => {
      const email = `grpc${++counter}@example.com`;
      let userId = '';
      const delivery = await nextDelivery('email-verification', async () => {
        userId = (await client.createUser({ email, username: '', password: PASSWORD, realm: '' })).user?.id ?? '';
      });
      assert.deepEqual([delivery.body.email, delivery.body.userId], [email, userId]);
      const lifetime = Date.parse(delivery.body.expiresAt) - Date.now();
      assert.ok(lifetime > 86_390_000 && lifetime <= 86_400_000, `${lifetime} ms`);

      await assert.rejects(grpcLogin(email, 'wrong password'), (err: ServiceError) => errorDetails(err).reason === 'LOGIN_FAILED');
      await assert.rejects(grpcLogin(email), (err: ServiceError) => {
        assert.equal(err.code, status.UNAUTHENTICATED);
        assert.equal(errorDetails(err).reason, 'LOGIN_FAILED_EMAIL_NOT_VERIFIED');
        assert.deepEqual(errorMetadata(err), { userId });
        return true;
      });
      const token = delivery.body.token;
      const refused = (promise: Promise<unknown>, reason = 'INVALID_TOKEN') =>
        assert.rejects(promise, (err: ServiceError) => errorDetails(err).reason === reason);
      await refused(client.confirmEmail({ userId: 'someone-else', token }));
      await refused(client.confirmEmail({ userId, token: 'not-a-token' }));
      await refused(client.confirmEmail({ userId: '', token }), 'INVALID_ARGUMENT');
      assert.deepEqual(await client.confirmEmail({ userId, token }), ConfirmEmailResponse.create());
      await refused(client.confirmEmail({ userId, token }));
      assert.equal((await grpcLogin(email)).user?.emailVerified, true);
    });

    it('on gRPC: RequestEmailVerification answers alike for a known, an unknown and a verified email, sending only for the first', async () => {
      const email = `request${++counter}@example.com`;
      const { token } = (await nextDelivery('email-verification', () => client.createUser({ email, username: '', password: PASSWORD, realm: '' }))).body;
      const fresh = await nextDelivery('email-verification', () => client.requestEmailVerification({ email: email.toUpperCase(), realm: '' }));
      assert.notEqual(fresh.body.token, token);
      assert.notEqual(fresh.body.id, (webhook.deliveries.at(-2) as Delivery).body.id);
      const before = webhook.deliveries.length;
      assert.deepEqual(await client.requestEmailVerification({ email: 'nobody@example.com', realm: '' }), RequestEmailVerificationResponse.create());
      await client.confirmEmail({ userId: fresh.body.userId, token: fresh.body.token });
      await client.requestEmailVerification({ email, realm: '' });
      await assert.rejects(client.requestEmailVerification({ email: 'not an email', realm: '' }), (err: ServiceError) => errorDetails(err).reason === 'INVALID_EMAIL');
      // Give a delivery that should not happen the time to show up, through a call that does deliver.
      await nextDelivery('password-reset', () => client.resetPassword({ email, realm: '' }));
      assert.equal(webhook.deliveries.length, before + 1);
    });

    it("on REST: LoopBack's verify and confirm routes, the error's details, a redirect only to allowed places", async () => {
      const email = `rest${++counter}@example.com`;
      const created = await nextDelivery('email-verification', () => rest('POST', '/api/users', { email, password: PASSWORD }));
      const userId = created.body.userId;
      const login = await rest('POST', '/api/users/login', { email, password: PASSWORD });
      assert.equal(login.status, 401);
      assert.deepEqual(login.json, {
        error: { statusCode: 401, name: 'Error', message: 'login failed as the email has not been verified', code: 'LOGIN_FAILED_EMAIL_NOT_VERIFIED', details: { userId } },
      });
      const resent = await nextDelivery('email-verification', async () => assert.equal((await rest('POST', `/api/users/${userId}/verify`)).status, 204));
      assert.equal((await rest('POST', '/api/users/no-such-user/verify')).status, 204);

      const token = resent.body.token;
      for (const redirect of ['//evil.example', 'https://evil.example/x', `${APP}.evil.example/`]) {
        const refused = await rest('GET', `/api/users/confirm?uid=${userId}&token=${token}&redirect=${encodeURIComponent(redirect)}`);
        assert.equal(refused.status, 400, redirect);
        assert.equal((refused.json?.error as { code: string }).code, 'INVALID_ARGUMENT');
      }
      const wrongUser = await rest('GET', `/api/users/confirm?uid=someone-else&token=${token}`);
      assert.equal(wrongUser.status, 401);
      assert.equal((wrongUser.json?.error as { code: string }).code, 'INVALID_TOKEN');

      const confirmed = await rest('GET', `/api/Users/confirm?uid=${userId}&token=${token}&redirect=${encodeURIComponent(`${APP}/welcome`)}`);
      assert.deepEqual([confirmed.status, confirmed.location], [302, `${APP}/welcome`]);
      const again = await rest('GET', `/api/users/confirm?uid=${userId}&token=${token}`);
      assert.equal(again.status, 401);
      // The first token, sent at sign-up, is still good (each stays valid until used or expired).
      const first = await rest('GET', `/api/users/confirm?uid=${userId}&token=${created.body.token}&redirect=/`);
      assert.deepEqual([first.status, first.location], [302, '/']);

      const loggedIn = await rest('POST', '/api/users/login?include=user', { email, password: PASSWORD });
      assert.equal(loggedIn.status, 200);
      assert.equal((loggedIn.json?.user as { emailVerified: boolean }).emailVerified, true);
      const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
      for (const event of ['sent', 'confirmed', 'refused']) assert.match(metrics, new RegExp(`^auth_email_verifications_total\\{event="${event}"\\} [1-9]`, 'm'));
      assert.match(metrics, /^auth_logins_total\{outcome="unverified",method="password"\} [1-9]/m);
    });

    it('never writes a verification token to its log', () => {
      for (const delivery of webhook.deliveries) assert.equal(server.output.some((line) => line.includes(delivery.body.token)), false);
    });
  });
}

describeVerification('embedded', async () => ({ env: {}, stop: async () => undefined }));
describeVerification('MongoDB', async () => {
  const mongo = await startMongo();
  return { env: { MONGODB_URI: mongo.uri, MONGODB_DB: mongo.dbName }, stop: () => mongo.stop() };
});
