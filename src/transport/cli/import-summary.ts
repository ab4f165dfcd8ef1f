import type { Conflict, ImportReport, TokenSkip } from '../../core/migration/import-loopback.js';

export interface SourceNames {
  users: string;
  tokens: string;
}

const SKIP_REASONS: Record<TokenSkip, string> = {
  expired: 'expired',
  userNotImported: 'of users not imported',
  passwordChangedHere: 'of users whose password has changed here since',
  userDisabledHere: 'of users disabled here',
  otherUserModel: 'of another user model',
  unusableToken: 'not 64 letters and digits (never accepted here)',
};

function describeConflict(conflict: Conflict): string[] {
  if (conflict.kind === 'taken-here') {
    return [`  user ${conflict.userId}: its ${conflict.field} belongs to another user here already; not imported`];
  }
  const realm = conflict.realm === '' ? '' : ` in realm ${JSON.stringify(conflict.realm)}`;
  const outcome =
    conflict.kept === undefined
      ? 'none imported (--on-duplicate=most-recent imports the one used last)'
      : `imported ${conflict.kept}, the one used last`;
  return [
    `  ${conflict.email}${realm}: ${conflict.members.length} LoopBack users, ${outcome}`,
    ...conflict.members.map((member) => `    ${member.id}  ${JSON.stringify(member.email)}  last used ${member.lastUsed.toISOString()}`),
  ];
}

/** The end-of-run summary, as lines for a person. */
export function formatSummary(report: ImportReport, names: SourceNames): string {
  const verb = report.dryRun ? 'would be imported' : 'imported';
  const skipped = Object.entries(report.skippedTokens).filter(([, count]) => count > 0);
  const skippedTotal = skipped.reduce((sum, [, count]) => sum + count, 0);
  const lines = [
    report.dryRun ? 'LoopBack import, dry run: nothing was written' : 'LoopBack import',
    `users      ${report.users.imported} ${verb}, ${report.users.present} already here`,
    `tokens     ${report.tokens.imported} ${verb}, ${report.tokens.present} already here`,
    `skipped    ${skippedTotal} tokens${skipped.length ? `: ${skipped.map(([reason, count]) => `${count} ${SKIP_REASONS[reason as TokenSkip]}`).join(', ')}` : ''}`,
    `conflicts  ${report.conflicts.length}`,
    ...report.conflicts.flatMap(describeConflict),
    `invalid    ${report.invalid.length}`,
    ...report.invalid.map((doc) => `  ${doc.kind === 'user' ? names.users : names.tokens} ${doc.id}: ${doc.reason}`),
  ];
  return `${lines.join('\n')}\n`;
}
