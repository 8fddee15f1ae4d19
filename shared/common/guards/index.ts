// The guard rules a mint request must pass before anything is created: one rule a file under
// rules/, the order they run in check.ts, the request and verdict shapes in schemas.ts.
export { checkMintRequest } from './check'
export { ADMIN_PERMISSIONS, DATA_DESTROYING_PERMISSIONS, DEPLOY_PERMISSIONS, isAgentOwner, isDnsPermission } from './permissions'
export { r2BucketNameProblem } from './rules/resources'
export * from './schemas'
