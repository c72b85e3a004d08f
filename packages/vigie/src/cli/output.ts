import Table from 'cli-table3';

/** The help of `--json` on every list command. */
export const JSON_HELP = 'print the JSON answer (the default when stdout is not a terminal)';

/** Flags every list command takes. */
export interface OutputFlags {
  json?: boolean;
}

/** A table for a person: a header row and string cells, plus lines said above and below it. */
export interface TableView {
  head: string[];
  rows: string[][];
  /** Lines printed before the table (a summary such as "3 workers: 3 available"). */
  before?: string[];
  /** Printed instead of an empty table. */
  empty?: string;
}

/**
 * True when a person reads the output: stdout is a terminal and --json was not asked for.
 * Anything else (a pipe, a file, a script) gets the JSON exactly as the API answered it.
 */
export function forPerson(flags: OutputFlags, stdout: { isTTY?: boolean } = process.stdout): boolean {
  return flags.json !== true && stdout.isTTY === true;
}

/** The JSON the commands print when no person reads (unchanged since the first release). */
export function renderJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * An aligned, borderless table (like `kubectl get`): cli-table3 measures wide characters
 * (€, CJK) that hand padding gets wrong.
 */
export function renderTable(view: TableView): string {
  const lines = [...(view.before ?? [])];
  if (view.rows.length === 0) {
    lines.push(view.empty ?? '(none)');
    return `${lines.join('\n')}\n`;
  }
  const table = new Table({
    head: view.head,
    chars: { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ' },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
  });
  table.push(...view.rows);
  // cli-table3 pads the last column too; a person's terminal does not need trailing blanks.
  lines.push(...table.toString().split('\n').map((l) => l.trimEnd()));
  return `${lines.join('\n')}\n`;
}

/** Prints `answer` as a table for a person, else as JSON. */
export function printAnswer<T>(flags: OutputFlags, answer: T, view: (answer: T) => TableView): void {
  process.stdout.write(forPerson(flags) ? renderTable(view(answer)) : renderJson(answer));
}
