import type { MigrationProvider } from 'kysely';
import type { StoreKind } from '../schema.js';
import { initial } from './001_initial.js';
import { alertBaseline } from './002_alert_baseline.js';
import { fencing } from './003_fencing.js';
import { workerOverrides } from './004_worker_overrides.js';
import { runOwner } from './005_run_owner.js';

/** Static, in-code migrations (no filesystem scan, so bundling and dist layout cannot break them). */
export function migrationProvider(kind: StoreKind): MigrationProvider {
  return {
    async getMigrations() {
      // Names sort lexically: keep the zero-padded prefix.
      return { '001_initial': initial(kind), '002_alert_baseline': alertBaseline(), '003_fencing': fencing(), '004_worker_overrides': workerOverrides(), '005_run_owner': runOwner() };
    },
  };
}
