/**
 * The answer shape every Vigie route uses, and that a worker gives the coordinator for a command
 * (the seed's `{ success, data }` / `{ success: false, error, httpStatus }`, plus a stable code
 * and what to do). Declared once: the worker writes it, the coordinator and the CLI read it.
 */

/** A success: the command's or the route's result in `data`. */
export interface SuccessBody<T = unknown> {
  success: true;
  data: T;
}

/** A failure: `error` (= `code`) is a stable code of the error catalogue or a plugin's own. */
export interface ErrorBody {
  success: false;
  error: string;
  code: string;
  message: string;
  httpStatus: number;
}

/** What `POST /api/v1/worker/execute` answers. */
export type WorkerAnswer<T = unknown> = SuccessBody<T> | ErrorBody;
