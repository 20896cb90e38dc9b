// Native ESM mode: Nest 12 and client-node ship ESM only, and Jest's CommonJS mode
// cannot require() them on Node 20 (see shared/PLATFORM.md).
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    // @fastify/static 10 require()s the ESM-only content-disposition 3. Node 20 can do
    // that natively, Jest's module runtime on Node 20 cannot; the CommonJS 1.x release
    // has the same API for the one call it makes (serving the /docs assets).
    '^content-disposition$': 'content-disposition-cjs',
    '^#domain$': '<rootDir>/libs/domain/src/index.ts',
    '^#(domain|infra)/(.*)\\.js$': '<rootDir>/libs/$1/src/$2.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts', '<rootDir>/test/**/*.test.ts'],
  // Fault tests too slow for every `npm test` (own PostgreSQL, child processes, outages
  // in real time) run with `npm run test:faults` (jest.faults.config.js).
  testPathIgnorePatterns: ['/node_modules/', '\\.slow\\.test\\.ts$'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60000,
  maxWorkers: 2,
};
