/** The simulated pre-copy live migration (harness/migration/*): the public entry points. */
export * from './migration/index.js';
