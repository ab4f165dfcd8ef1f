import { connect } from '../test/support/grpc-client.js';

export const PASSWORD = 'bench-password-1';
export const email = (n: number): string => `bench${n}@example.com`;

/**
 * Users 0..users-1 on a running service, each logged in `tokensPerUser` times; returns the access
 * tokens. Logins run a few at a time: each costs a bcrypt compare.
 */
export async function seedGrpc(address: string, users: number, tokensPerUser: number): Promise<string[]> {
  const client = connect(address);
  try {
    const tokens: string[] = [];
    for (let n = 0; n < users; n++) {
      await client.createUser({ email: email(n), username: '', password: PASSWORD, realm: '' });
      for (let batch = 0; batch < tokensPerUser; batch += 4) {
        const logins = Array.from({ length: Math.min(4, tokensPerUser - batch) }, () =>
          client.login({ email: email(n), username: '', password: PASSWORD, realm: '', ttlSeconds: 0, includeUser: false }),
        );
        for (const { accessToken } of await Promise.all(logins)) tokens.push(accessToken?.id ?? '');
      }
    }
    return tokens;
  } finally {
    client.close();
  }
}

/** A request that must answer 2xx with a JSON object; throws with the answer otherwise. */
export async function fetchJson(url: string, init: RequestInit = {}): Promise<Record<string, unknown>> {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

export const postJson = (url: string, body: object): Promise<Record<string, unknown>> =>
  fetchJson(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** One user through the LoopBack-shaped REST API (ours or LoopBack's), logged in once. */
export async function seedRest(baseUrl: string): Promise<{ userId: string; token: string }> {
  await postJson(`${baseUrl}/api/users`, { email: email(0), password: PASSWORD });
  const login = await postJson(`${baseUrl}/api/users/login`, { email: email(0), password: PASSWORD });
  return { userId: String(login.userId), token: String(login.id) };
}
