import base from './jest.config.js';

/**
 * `npm run test:faults`: the fault tests that take too long for every `npm test` (files
 * named *.slow.test.ts under test/faults; the main config leaves them out, so nothing
 * runs twice). The quick fault tests in test/faults run with `npm test`.
 */
/** @type {import('jest').Config} */
export default {
  ...base,
  testMatch: ['<rootDir>/test/faults/**/*.slow.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
};
