import { readFileSync } from 'node:fs';
import { CANNED, type CannedReply } from '../../../src/protocol';
import { FILE_ID_PREFIX } from './handlers';
import { cannedProblem } from './schemas';

/**
 * The shared canned replies of `PARLEY_CANNED_REPLIES`: a JSON array of `{ "shortcut": "hello", "text": "Hi
 * {{visitor.name|there}}!" }`, read once at start. Throws naming the entry at fault, so a typo stops the gateway at
 * start instead of showing agents half a list. Same limits as replies saved in the console.
 */
export function readCannedRepliesFile(path: string): CannedReply[] {
  let entries: unknown;
  try {
    entries = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`PARLEY_CANNED_REPLIES: cannot read ${path}: ${(err as Error).message}`);
  }
  if (!Array.isArray(entries)) throw new Error('PARLEY_CANNED_REPLIES must hold a JSON array of { shortcut, text }');
  if (entries.length > CANNED.maxReplies) {
    throw new Error(`PARLEY_CANNED_REPLIES holds ${entries.length} replies; at most ${CANNED.maxReplies}`);
  }
  const seen = new Set<string>();
  return entries.map((entry: { shortcut?: unknown; text?: unknown } | null, index) => {
    const problem = cannedProblem({ shortcut: entry?.shortcut, text: entry?.text });
    if (problem) throw new Error(`PARLEY_CANNED_REPLIES entry ${index + 1}: ${problem}`);
    const shortcut = String(entry!.shortcut);
    if (seen.has(shortcut)) throw new Error(`PARLEY_CANNED_REPLIES names /${shortcut} twice`);
    seen.add(shortcut);
    return { id: `${FILE_ID_PREFIX}${shortcut}`, shortcut, text: String(entry!.text).trim(), source: 'file' };
  });
}
