import bcrypt from 'bcrypt';

/** Hashes and checks passwords with bcrypt's async API, which runs on the libuv pool, off the event loop. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
  /** Spends the time of a verify against a hash no password matches, for unknown users. */
  verifyNothing(password: string): Promise<false>;
}

export async function createBcryptHasher(cost: number): Promise<PasswordHasher> {
  // A real hash at the same cost, so that an unknown user costs what a wrong password costs.
  const dummyHash = await bcrypt.hash(`no user has this password ${Math.random()}`, cost);
  return {
    hash: (password) => bcrypt.hash(password, cost),
    verify: (password, hash) => bcrypt.compare(password, hash),
    verifyNothing: async (password) => {
      await bcrypt.compare(password, dummyHash);
      return false;
    },
  };
}
