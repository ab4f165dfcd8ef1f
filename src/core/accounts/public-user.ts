import type { UserRecord } from '../../storage/users/port.js';

/** What a caller may see of a user: never the password hash. */
export interface PublicUser {
  id: string;
  email: string;
  username: string | undefined;
  realm: string;
  emailVerified: boolean;
  created: Date;
}

export function toPublicUser(user: UserRecord): PublicUser {
  return {
    id: user.id,
    email: user.email,
    username: user.username,
    realm: user.realm,
    emailVerified: user.emailVerified,
    created: user.created,
  };
}
