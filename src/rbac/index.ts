// The rbac core: pure functions over roles and compiled subjects, no database, no HTTP.
export * from './policy.js';
export * from './roles.js';
export {
  compileSubject,
  isScopeName,
  permissionKey,
  type CompiledScope,
  type CompiledSubject,
  type OrgProfile,
  type ScopeName,
  type SubjectInput,
  type Vote,
} from './subject.js';
export * from './authorize.js';
export * from './sqlfilter.js';
export * from './assign.js';
export * from './customroles.js';
export * from './load.js';
