import bcrypt from 'bcrypt';

export interface HashJob {
  password: string;
  /** Compare against this hash; absent: make a new hash at `cost`. */
  hash?: string;
  cost: number;
}

/**
 * `$2y$` is PHP's name for the same algorithm as `$2b$` (both mark the fixed implementation), and
 * the native library knows only `$2a$` and `$2b$`: imported `$2y$` hashes are compared as `$2b$`.
 */
const comparable = (hash: string): string => (hash.startsWith('$2y$') ? `$2b$${hash.slice(4)}` : hash);

/** Runs on a pool thread: the sync API, since the thread itself is what keeps bcrypt off the event loop. */
export default function hashJob({ password, hash, cost }: HashJob): string | boolean {
  return hash === undefined ? bcrypt.hashSync(password, cost) : bcrypt.compareSync(password, comparable(hash));
}
