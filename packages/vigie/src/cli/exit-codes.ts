/**
 * The CLI's exit codes, for scripts and cron: 0 the operation succeeded, 1 it failed, 2 the
 * command was misused (unknown flag, bad input or config: fix the call, retrying will not help),
 * 3 it partly succeeded (a cycle where some alerts were checked and others failed).
 */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, PARTIAL: 3 } as const;

/** The help text that documents them (`vigie --help`). */
export const EXIT_CODES_HELP = `
Exit codes:
  0  ok
  1  failed (the coordinator is unreachable, refused the call, or a cycle checked no alert)
  2  usage: unknown command or flag, bad input or config (nothing was changed)
  3  partial: the operation ran but part of it failed (a cycle where some alerts failed)`;

/** The exit code for a cycle summary's status. */
export function exitCodeForCycle(status: string): number {
  if (status === 'failed') return EXIT.FAILED;
  if (status === 'partial') return EXIT.PARTIAL;
  return EXIT.OK;
}
