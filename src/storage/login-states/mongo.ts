import type { Collection } from 'mongodb';
import { guarded, literal } from '../mongo/errors.js';
import type { LoginStateRecord, LoginStateStore } from './port.js';

export interface LoginStateDoc {
  /** The state's SHA-256. */
  _id: string;
  provider: string;
  redirectUri: string;
  realm: string;
  nonce?: string;
  codeVerifier: string;
  bindingHash?: string;
  linkUserId?: string;
  returnTo?: string;
  created: Date;
  /** Removed by the TTL index, or the sweep where the server has none. */
  expiresAt: Date;
}

/** Login states in the `loginStates` collection. */
export class MongoLoginStateStore implements LoginStateStore {
  constructor(readonly collection: Collection<LoginStateDoc>) {}

  insert(state: LoginStateRecord): Promise<void> {
    return guarded(async () => {
      const { stateHash, nonce, bindingHash, linkUserId, returnTo, ...always } = state;
      await this.collection.insertOne({
        _id: stateHash,
        ...always,
        ...(nonce === undefined ? {} : { nonce }),
        ...(bindingHash === undefined ? {} : { bindingHash }),
        ...(linkUserId === undefined ? {} : { linkUserId }),
        ...(returnTo === undefined ? {} : { returnTo }),
      });
    });
  }

  /** Read, then delete, as the token store's take: on FerretDB findOneAndDelete may hand one document to two callers. */
  take(stateHash: string): Promise<LoginStateRecord | undefined> {
    return guarded(async () => {
      const doc = await this.collection.findOne({ _id: literal(stateHash) });
      if (!doc) return undefined;
      const { deletedCount } = await this.collection.deleteOne({ _id: doc._id });
      return deletedCount === 1 ? toState(doc) : undefined;
    });
  }
}

function toState(doc: LoginStateDoc): LoginStateRecord {
  return {
    stateHash: doc._id,
    provider: doc.provider,
    redirectUri: doc.redirectUri,
    realm: doc.realm,
    nonce: doc.nonce ?? undefined,
    codeVerifier: doc.codeVerifier,
    bindingHash: doc.bindingHash ?? undefined,
    linkUserId: doc.linkUserId ?? undefined,
    returnTo: doc.returnTo ?? undefined,
    created: doc.created,
    expiresAt: doc.expiresAt,
  };
}
