// The rbac core: pure functions over roles and compiled subjects, no database, no HTTP.
export * from './policy.js';
export * from './roles.js';
export * from './subject.js';
export * from './authorize.js';
export * from './sqlfilter.js';
export * from './assign.js';
export * from './customroles.js';
export * from './load.js';
