/** Characters a POSIX shell reads literally in an unquoted word (no globs, no expansions). */
const PlainWord = /^[\w@%+=:,./-]+$/;

/**
 * `text` as one POSIX shell word, so that a printed command works when pasted: as is when every
 * character is literal to the shell, else in single quotes (a `'` inside written `'\''`).
 */
export function shellWord(text: string): string {
  return PlainWord.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}
