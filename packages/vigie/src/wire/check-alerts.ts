/**
 * The check-alerts job's wire types, declared once: what a source returns, what a worker answers,
 * what the coordinator turns into matches. Workers and coordinator agree on these shapes over
 * HTTP, so they are plain JSON.
 */

/** A listing found by a source, mapped to Vigie's fields. */
export interface Item {
  id: string;
  title: string;
  price: number | null;
  currency: string | null;
  url: string | null;
  condition: string | null;
  brand: string | null;
  photo: string | null;
}

/** An item that passed an alert's filters on a worker; the coordinator decides if it is new. */
export interface CandidateMatch {
  alertId: string;
  item: Item;
}

/** The `data` of a successful check-alerts answer (the seed's fields, plus per-alert failures). */
export interface CheckAlertsResult {
  matches: CandidateMatch[];
  alertsChecked: number;
  itemsChecked: number;
  /** Alerts this worker could not check, with why (a source error, not a block). */
  failed: Array<{ alertId: string; error: string }>;
}
