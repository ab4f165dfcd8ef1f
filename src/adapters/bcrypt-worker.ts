import bcrypt from 'bcrypt';

export interface HashJob {
  password: string;
  /** Compare against this hash; absent: make a new hash at `cost`. */
  hash?: string;
  cost: number;
}

/** Runs on a pool thread: the sync API, since the thread itself is what keeps bcrypt off the event loop. */
export default function hashJob({ password, hash, cost }: HashJob): string | boolean {
  return hash === undefined ? bcrypt.hashSync(password, cost) : bcrypt.compareSync(password, hash);
}
