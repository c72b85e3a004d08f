/**
 * A Markdown table cell: `|` escaped (a GitHub-style renderer splits the row on a bare one, even
 * inside a code span; GFM reads `\|` as a literal pipe there too) and line breaks folded, so that
 * a generated row is always one line with the cells it was given.
 */
export function markdownCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}
