// Deleting temporary tokens at their deadlines, by job: reaper.ts (the scheduler: timers, sweeps,
// retries, reconcile runs), plan.ts (the pure ownership rules and reconcile plan), retry.ts (the
// pure backoff policy), write-batcher.ts (batched local writes).
export { errorKindOf, MAX_TIMER_DELAY_MS, Reaper, REAPER_DEFAULTS, type ReaperOptions, type ReaperTimers, type ReaperVault, type ReapStep, type ReconcileResult, type SweepResult } from './reaper'
export { intentTokens, isExpired, matchesIntent, planReconcile, recordedIds, type ForeignToken, type ReconcileInputs } from './plan'
