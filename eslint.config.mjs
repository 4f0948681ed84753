import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bin/**', 'scripts/**', 'eslint.config.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // The stand-in models the real cloud: a misreading of the provider in the product must be able to fail
    // a test, so it shares no code with the product.
    files: ['localcloud/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/activities',
                '**/activities/**',
                '**/workflows',
                '**/workflows/**',
                '**/workers/**',
                '**/client/**',
                '**/app/**',
                '**/config/**',
              ],
              message: 'localcloud/ imports nothing from the product.',
            },
          ],
        },
      ],
    },
  },
  {
    // Workflow code is bundled into a deterministic sandbox: forbid the Node APIs that break replay.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'os', 'child_process', 'crypto', 'http', 'https'],
              message: 'Workflows must be deterministic: no Node APIs.',
            },
            { group: ['../activities/*', '../activities/**'], allowTypeImports: true, message: 'Workflows import activity types only.' },
          ],
        },
      ],
    },
  },
);
