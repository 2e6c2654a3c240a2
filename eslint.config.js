// Lint rules: typescript-eslint's recommended set, plus the project rule that nothing below an
// entry point reads process.env (configuration is parsed once, in lib/config, and passed down).
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
    // Entry points: the CLI, the test harness, benchmarks, and plain JS tooling files.
    files: ['cli/main.ts', 'tests/**', 'bench/**', '**/*.js'],
    rules: { 'no-restricted-properties': 'off', '@typescript-eslint/no-require-imports': 'off' },
  },
);
