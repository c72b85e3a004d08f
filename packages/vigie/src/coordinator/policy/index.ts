export * from './availability.js';
export * from './bans.js';
export * from './retry-budget.js';
export * from './retry-plan.js';
export * from './abandoned.js';
export * from './probe-schedule.js';
