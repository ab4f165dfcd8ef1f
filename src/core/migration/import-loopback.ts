import type { TokenRecord, TokenStore } from '../../storage/tokens/port.js';
import { DuplicateKeyError, type UniqueField, type UserRecord, type UserStore } from '../../storage/users/port.js';
import type { LoopBackSource, SourceDocument } from '../ports.js';
import { newSessionId } from '../sessions/session-id.js';
import { hashToken, isWellFormedToken } from '../sessions/token-format.js';
import { DuplicateSieve } from './duplicate-sieve.js';
import { MalformedDocument, readAccessToken, toUserRecord, type LoopBackAccessToken } from './loopback-records.js';

/** What the import writes to, and its clock. */
export interface ImportContext {
  users: UserStore;
  tokens: TokenStore;
  now: () => Date;
}

/** `none`: LoopBack users whose emails are one here are all left out; `most-recent`: the one used last is imported. */
export type DuplicatePolicy = 'none' | 'most-recent';

export interface ImportOptions {
  /** The realm of LoopBack users that have none. */
  defaultRealm: string;
  /** The LoopBack user model's name: tokens whose principalType names another model are not its users'. */
  userModel: string;
  onDuplicate: DuplicatePolicy;
  /** Reads everything, writes nothing, reports what a real run would do. */
  dryRun: boolean;
}

export type ImportStage = 'checking users' | 'importing users' | 'importing tokens';
export type ImportProgress = (stage: ImportStage, done: number, total: number) => void;

/** A document left out because this service cannot hold it as it is. */
export interface InvalidDocument {
  kind: 'user' | 'access token';
  /** The _id; of an access token (the token itself), only its first characters. */
  id: string;
  reason: string;
}

export interface DuplicateMember {
  id: string;
  /** As LoopBack held it. */
  email: string;
  /** The newest of its access tokens, else when the user was created. */
  lastUsed: Date;
}

export type Conflict =
  /** LoopBack users whose emails differ only as LoopBack compared them (case, spaces): one account here. */
  | { kind: 'same-email'; realm: string; email: string; members: DuplicateMember[]; kept: string | undefined }
  /** A user whose email or username another user holds here already. */
  | { kind: 'taken-here'; userId: string; field: UniqueField };

export type TokenSkip = 'expired' | 'userNotImported' | 'passwordChangedHere' | 'userDisabledHere' | 'otherUserModel' | 'unusableToken';

export interface ImportReport {
  dryRun: boolean;
  /** `present`: there already (an earlier run), left as it is. In a dry run, `imported` is what would be. */
  users: { imported: number; present: number };
  tokens: { imported: number; present: number };
  skippedTokens: Record<TokenSkip, number>;
  conflicts: Conflict[];
  invalid: InvalidDocument[];
}

/** Whether the run left out users that the operator must look at (exit non-zero). */
export const needsAttention = (report: ImportReport): boolean =>
  report.invalid.length > 0 || report.conflicts.some((conflict) => conflict.kind === 'taken-here' || conflict.kept === undefined);

/**
 * Imports a LoopBack app's users and live access tokens (see toUserRecord and readAccessToken for
 * what each keeps). Idempotent: what is stored already is left as it is, so a second run changes
 * nothing and an interrupted run is finished by running it again. Documents stream through in
 * batches; what is held across the run is a fingerprint per user (see DuplicateSieve) and the
 * problems reported.
 */
export async function importLoopBack(
  ctx: ImportContext,
  source: LoopBackSource,
  options: ImportOptions,
  onProgress: ImportProgress = () => {},
): Promise<ImportReport> {
  const run = new ImportRun(ctx, source, options, onProgress);
  const counts = await source.estimatedCounts();
  await run.importUsers(counts.users);
  await run.importTokens(counts.tokens);
  return run.report;
}

/** A user whose email may be shared, held until every user has been seen. */
interface HeldUser {
  record: UserRecord;
  sourceEmail: string;
}

class ImportRun {
  readonly report: ImportReport;
  /** Users left out for a conflict: in a dry run, nothing else says that their tokens would be skipped. */
  private readonly leftOut = new Set<string>();
  private readonly now: Date;

  constructor(
    private readonly ctx: ImportContext,
    private readonly source: LoopBackSource,
    private readonly options: ImportOptions,
    private readonly onProgress: ImportProgress,
  ) {
    this.now = ctx.now();
    this.report = {
      dryRun: options.dryRun,
      users: { imported: 0, present: 0 },
      tokens: { imported: 0, present: 0 },
      skippedTokens: { expired: 0, userNotImported: 0, passwordChangedHere: 0, userDisabledHere: 0, otherUserModel: 0, unusableToken: 0 },
      conflicts: [],
      invalid: [],
    };
  }

  async importUsers(estimated: number): Promise<void> {
    const sieve = await this.sieveEmails(estimated);
    const held: HeldUser[] = [];
    await this.eachBatch('importing users', this.source.users(), estimated, async (batch) => {
      await inParallel(batch, async (doc) => {
        const record = this.userRecord(doc);
        if (record === undefined) return;
        if (sieve.mayRepeat(identityKey(record))) held.push({ record, sourceEmail: String(doc.fields.email) });
        else await this.putUser(record);
      });
    });
    await this.settleSharedEmails(held);
  }

  /** First pass: every user's identity key, so that the second knows which may be shared. */
  private async sieveEmails(estimated: number): Promise<DuplicateSieve> {
    const sieve = new DuplicateSieve();
    await this.eachBatch('checking users', this.source.users(), estimated, async (batch) => {
      for (const doc of batch) {
        const record = this.userRecord(doc, false);
        if (record) sieve.add(identityKey(record));
      }
    });
    return sieve;
  }

  /** The user as stored here, or undefined (reported as invalid when `report`). */
  private userRecord(doc: SourceDocument, report = true): UserRecord | undefined {
    try {
      return toUserRecord(doc, this.options.defaultRealm, this.now);
    } catch (err) {
      if (!(err instanceof MalformedDocument)) throw err;
      if (report) this.report.invalid.push({ kind: 'user', id: doc.id, reason: err.message });
      return undefined;
    }
  }

  /** Users held by the sieve: alone under their key after all (a fingerprint collision), or a conflict. */
  private async settleSharedEmails(held: HeldUser[]): Promise<void> {
    const groups = new Map<string, HeldUser[]>();
    for (const user of held) {
      const key = identityKey(user.record);
      const group = groups.get(key);
      if (group) group.push(user);
      else groups.set(key, [user]);
    }
    const shared = [...groups.values()].filter((group) => group.length > 1);
    const lastLogins = await this.source.lastLogins(shared.flat().map((user) => user.record.id));
    for (const group of groups.values()) {
      const [first] = group;
      if (first === undefined) continue;
      if (group.length === 1) {
        await this.putUser(first.record);
        continue;
      }
      const members = group
        .map(({ record, sourceEmail }) => ({ record, id: record.id, email: sourceEmail, lastUsed: lastLogins.get(record.id) ?? record.created }))
        .sort((a, b) => b.lastUsed.getTime() - a.lastUsed.getTime() || (a.id < b.id ? 1 : -1));
      const kept = this.options.onDuplicate === 'most-recent' ? members[0] : undefined;
      this.report.conflicts.push({
        kind: 'same-email',
        realm: first.record.realm,
        email: first.record.email,
        members: members.map(({ id, email, lastUsed }) => ({ id, email, lastUsed })),
        kept: kept?.id,
      });
      for (const member of members) if (member !== kept) this.leftOut.add(member.id);
      if (kept) await this.putUser(kept.record);
    }
  }

  private async putUser(user: UserRecord): Promise<void> {
    try {
      const inserted = this.options.dryRun ? await this.wouldInsertUser(user) : await this.ctx.users.insertIfAbsent(user);
      this.report.users[inserted ? 'imported' : 'present']++;
    } catch (err) {
      if (!(err instanceof DuplicateKeyError)) throw err;
      this.report.conflicts.push({ kind: 'taken-here', userId: user.id, field: err.field });
      this.leftOut.add(user.id);
    }
  }

  /** insertIfAbsent's answer, from reads only. */
  private async wouldInsertUser(user: UserRecord): Promise<boolean> {
    if (await this.ctx.users.findById(user.id)) return false;
    if (await this.ctx.users.findByEmail(user.realm, user.email)) throw new DuplicateKeyError('email');
    if (user.username !== undefined && (await this.ctx.users.findByUsername(user.realm, user.username))) throw new DuplicateKeyError('username');
    return true;
  }

  async importTokens(estimated: number): Promise<void> {
    await this.eachBatch('importing tokens', this.source.accessTokens(), estimated, async (batch) => {
      const tokens = batch.flatMap((doc) => this.liveToken(doc) ?? []);
      const owners = await this.source.usersById([...new Set(tokens.map((token) => token.userId))]);
      const ownerById = new Map(owners.map((doc) => [doc.id, doc]));
      await inParallel(tokens, (token) => this.putToken(token, ownerById.get(token.userId)));
    });
  }

  /** The token when it is one to import; otherwise counted as skipped or reported as invalid. */
  private liveToken(doc: SourceDocument): LoopBackAccessToken | undefined {
    let token: LoopBackAccessToken;
    try {
      token = readAccessToken(doc);
    } catch (err) {
      if (!(err instanceof MalformedDocument)) throw err;
      this.report.invalid.push({ kind: 'access token', id: tokenLabel(doc.id), reason: err.message });
      return undefined;
    }
    const skip = this.skipReason(token);
    if (skip === undefined) return token;
    this.report.skippedTokens[skip]++;
    return undefined;
  }

  private skipReason(token: LoopBackAccessToken): TokenSkip | undefined {
    if (token.principalType !== undefined && token.principalType !== this.options.userModel) return 'otherUserModel';
    if (token.expiresAt !== undefined && token.expiresAt.getTime() <= this.now.getTime()) return 'expired';
    // A token of another shape could never be presented here (see isWellFormedToken).
    if (!isWellFormedToken(token.token)) return 'unusableToken';
    return undefined;
  }

  private async putToken(token: LoopBackAccessToken, ownerDoc: SourceDocument | undefined): Promise<void> {
    const owner = await this.ownerHere(ownerDoc);
    if ('skip' in owner) {
      this.report.skippedTokens[owner.skip]++;
      return;
    }
    const record: TokenRecord = {
      hash: hashToken(token.token),
      sessionId: newSessionId(),
      userId: owner.user.id,
      realm: owner.user.realm,
      scopes: token.scopes,
      created: token.created,
      ttlSeconds: token.ttlSeconds,
      expiresAt: token.expiresAt,
      // LoopBack keeps no last use: the move counts as one, so that an idle timeout starts from it.
      lastUsed: this.now,
      userAgent: undefined,
      address: undefined,
    };
    const inserted = this.options.dryRun ? (await this.ctx.tokens.find(record.hash)) === undefined : await this.ctx.tokens.insertIfAbsent(record);
    this.report.tokens[inserted ? 'imported' : 'present']++;
  }

  /**
   * A token's user, if they are here (or, in a dry run, would be): not one whose password has been
   * set anew here since (a rehash at login is no new password), nor one an operator has disabled
   * here, both of which revoked their sessions: a run again must not undo that.
   */
  private async ownerHere(ownerDoc: SourceDocument | undefined): Promise<{ user: UserRecord } | { skip: TokenSkip }> {
    const owner = ownerDoc && this.userRecord(ownerDoc, false);
    if (!owner) return { skip: 'userNotImported' };
    const here = await this.ctx.users.findById(owner.id);
    if (here?.disabled) return { skip: 'userDisabledHere' };
    if (here) return here.passwordChangedAt === undefined ? { user: here } : { skip: 'passwordChangedHere' };
    return this.options.dryRun && !this.leftOut.has(owner.id) ? { user: owner } : { skip: 'userNotImported' };
  }

  private async eachBatch(
    stage: ImportStage,
    batches: AsyncIterable<SourceDocument[]>,
    total: number,
    handle: (batch: SourceDocument[]) => Promise<void>,
  ): Promise<void> {
    let done = 0;
    this.onProgress(stage, done, total);
    for await (const batch of batches) {
      await handle(batch);
      done += batch.length;
      this.onProgress(stage, done, Math.max(total, done));
    }
  }
}

/** Writes in flight at once: enough to keep a database busy, few enough not to queue on its connection pool. */
const WRITES_IN_FLIGHT = 16;

/** Runs `work` on every item, at most WRITES_IN_FLIGHT at a time. */
async function inParallel<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let item = items[next++]; item !== undefined; item = items[next++]) await work(item);
  };
  await Promise.all(Array.from({ length: Math.min(WRITES_IN_FLIGHT, items.length) }, worker));
}

/** An access token's _id is the token itself, a secret: reports name it by its first characters only. */
const tokenLabel = (id: string): string => `${id.slice(0, 6)}…`;

/** Two users under one key would be one account here: the unique email per realm. */
export const identityKey = (user: Pick<UserRecord, 'realm' | 'email'>): string => `${user.realm}\u0000${user.email}`;
