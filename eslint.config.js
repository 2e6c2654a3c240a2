// Lint rules: typescript-eslint's recommended set, plus the project rules that nothing below an
// entry point reads process.env (configuration is parsed once, in lib/config, and passed down)
// and that production folders do not import the simulator.
const tseslint = require('typescript-eslint');

module.exports = tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.data/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration from the Config object passed in; only entry points read process.env.' },
      ],
    },
  },
  {
    // Production code never depends on the simulator: it is a test and demo tool, and what both
    // need (calendar, regions, time zones) lives in lib/domain. Tests may use it.
    files: ['streams/**/*.ts', 'services/**/*.ts', 'clickhouse/**/*.ts', 'lib/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/simulators', '**/simulators/**'], message: 'Production code must not import the simulator; shared domain code lives in lib/domain.' }] },
      ],
    },
  },
  {
    // Entry points: the CLI, the test harness, benchmarks, and plain JS tooling files.
    files: ['cli/main.ts', 'tests/**', 'bench/**', '**/*.js'],
    rules: { 'no-restricted-properties': 'off', '@typescript-eslint/no-require-imports': 'off' },
  },
);
