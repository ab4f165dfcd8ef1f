import assert from 'node:assert/strict';
import { it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { hashToken } from '../../src/core/sessions/token-format.js';
import { connect } from '../support/grpc-client.js';
import { startMongo } from '../support/mongo.js';
import { startServer } from '../support/server-process.js';
import { startWebhookReceiver } from '../support/webhook.js';

it('logs a line per call at debug level and never a secret', async () => {
  const mongo = await startMongo();
  const webhook = await startWebhookReceiver();
  const databasePassword = 'Db-Pa55word-in-uri';
  // Credentials in the URI must never reach the log (FerretDB accepts any over PLAIN).
  const uri = mongo.uri.replace('mongodb://', `mongodb://svc-user:${databasePassword}@`) + '?authMechanism=PLAIN';
  const webhookSecret = 'webhook-secret-never-logged';
  const server = await startServer({
    LOG_LEVEL: 'debug',
    MONGODB_URI: uri,
    MONGODB_DB: mongo.dbName,
    RESET_WEBHOOK_URL: webhook.url,
    RESET_WEBHOOK_SECRET: webhookSecret,
  });
  const client = connect(server.grpcAddress);
  const password = 'first secret password';
  const newPassword = 'second secret password';
  const finalPassword = 'third secret password';
  const secrets: string[] = [databasePassword, webhookSecret, password, newPassword, finalPassword];
  try {
    await client.createUser({ email: 'logged@example.com', username: 'logged', password, realm: '' });
    const login = (pw: string) => client.login({ email: 'logged@example.com', username: '', password: pw, realm: '', ttlSeconds: 0, includeUser: true });
    const token = (await login(password)).accessToken?.id ?? '';
    secrets.push(token, hashToken(token));
    await client.validateToken({ accessToken: '', requiredScopes: [], includeUser: true }, { authorization: `Bearer ${token}` });
    await assert.rejects(login('a wrong secret password'), { code: status.UNAUTHENTICATED });
    secrets.push('a wrong secret password');
    await client.changePassword({ accessToken: token, oldPassword: password, newPassword });
    await client.resetPassword({ email: 'logged@example.com', realm: '' });
    const resetToken = (await webhook.waitFor(1)).body.token;
    secrets.push(resetToken, hashToken(resetToken));
    await client.setPassword({ resetToken, newPassword: finalPassword });
    const last = (await login(finalPassword)).accessToken?.id ?? '';
    secrets.push(last);
    await client.logout({ accessToken: last, allSessions: true });
  } finally {
    client.close();
    assert.equal(await server.stop(), 0);
    await webhook.close();
    await mongo.stop();
  }

  const log = server.output.join('\n');
  for (const secret of secrets) assert.equal(log.includes(secret), false, `the log holds a secret: ${secret.slice(0, 6)}…`);
  assert.doesNotMatch(log, /\$2[aby]\$\d\d\$/, 'a bcrypt hash reached the log');
  assert.doesNotMatch(log, /svc-user/, 'the database user reached the log');

  // A structured line per call: RPC, status, duration.
  const calls = server.logs().filter((line) => typeof line.rpc === 'string');
  const rpcs = new Set(calls.map((line) => line.rpc));
  for (const rpc of ['CreateUser', 'Login', 'ValidateToken', 'ChangePassword', 'ResetPassword', 'SetPassword', 'Logout']) {
    assert.ok(rpcs.has(rpc), `no log line for ${rpc}`);
  }
  for (const line of calls) {
    assert.equal(typeof line.ms, 'number');
    assert.equal(typeof line.code, 'string');
    assert.equal(line.level, line.code === 'OK' ? 20 : 40, JSON.stringify(line));
  }
  const failed = calls.find((line) => line.code === 'UNAUTHENTICATED');
  assert.equal(failed?.reason, 'LOGIN_FAILED');
});
