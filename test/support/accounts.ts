// Accounts and tokens for tests that need them, made through the REST gateway as a client would.
import { randomUUID } from 'node:crypto';
import type { ServerProcess } from './server-process.js';

export const PASSWORD = 'correct horse 1';

export interface Account {
  email: string;
  userId: string;
  realm: string;
  username: string | undefined;
  /** An access token of this account. */
  token: string;
}

async function post(url: string, body: object): Promise<Record<string, unknown>> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${url}: ${response.status} ${text}`);
  return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
}

/** A new user (a fresh email), logged in once. */
export async function newAccount(server: Pick<ServerProcess, 'httpUrl'>, fields: { realm?: string; username?: string } = {}): Promise<Account> {
  const email = `user-${randomUUID()}@example.com`;
  const user = await post(`${server.httpUrl}/api/users`, { email, password: PASSWORD, ...fields });
  const login = await post(`${server.httpUrl}/api/users/login`, { email, password: PASSWORD, realm: fields.realm });
  return { email, userId: String(user.id), realm: fields.realm ?? '', username: fields.username, token: String(login.id) };
}

/** Another access token of the account. */
export async function logIn(server: Pick<ServerProcess, 'httpUrl'>, account: Account): Promise<string> {
  return String((await post(`${server.httpUrl}/api/users/login`, { email: account.email, password: PASSWORD, realm: account.realm })).id);
}

export async function logOut(server: Pick<ServerProcess, 'httpUrl'>, token: string): Promise<void> {
  await post(`${server.httpUrl}/api/users/logout?access_token=${token}`, {});
}

/** A reset token of the account, as the development notifier logs it (no RESET_WEBHOOK_URL). */
export async function resetToken(server: ServerProcess, account: Account): Promise<string> {
  await post(`${server.httpUrl}/api/users/reset`, { email: account.email, realm: account.realm });
  const line = await server.waitForLog((entry) => entry.userId === account.userId && entry.type === 'password-reset' && typeof entry.tokenForDevelopment === 'string');
  return String(line.tokenForDevelopment);
}
