// Two suites: `unit` (pure logic, no services, runs anywhere in seconds) and `integration`
// (real Kafka, registry, ClickHouse and MinIO provided by tests/harness/services.ts).
const { availableParallelism } = require('node:os');

const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }] };

/** @type {import('jest').Config} */
module.exports = {
  reporters: ['default', '<rootDir>/tests/harness/summary-reporter.js'],
  // Integration tests start consumer groups and JVMs; a stuck test still fails, after 2 minutes.
  // (Jest reads this option only at the top level, not per project.)
  testTimeout: 120_000,
  // At least two test files at once. Jest's default (cores - 1) is one on the 2-core CI machine,
  // and one runs every file in band, one after another, while most of an integration file's time
  // is spent waiting (Kafka group joins, child processes, polling), not on a core. The harness
  // keeps files apart when two run at once: unique topic, group and database names, ports the OS
  // picks, an embedded ClickHouse folder per worker process. (`make test-faults` stays in band:
  // its tests stop the shared services.)
  maxWorkers: Math.max(2, availableParallelism() - 1),
  projects: [
    {
      displayName: 'unit',
      transform,
      testEnvironment: 'node',
      roots: ['<rootDir>'],
      testMatch: ['<rootDir>/{lib,cli,infra,services,streams,simulators,schemas,clickhouse,bench}/**/*.test.ts'],
      modulePathIgnorePatterns: ['<rootDir>/dist/'],
    },
    {
      displayName: 'integration',
      transform,
      testEnvironment: 'node',
      roots: ['<rootDir>/tests'],
      testMatch: ['<rootDir>/tests/integration/**/*.test.ts'],
      modulePathIgnorePatterns: ['<rootDir>/dist/'],
      globalSetup: '<rootDir>/tests/harness/global-setup.ts',
      globalTeardown: '<rootDir>/tests/harness/global-teardown.ts',
    },
  ],
};
