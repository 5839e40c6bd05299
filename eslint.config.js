// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.services/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // Matching control characters is the point where keys and names are made protocol-safe.
      'no-control-regex': 'off',
    },
  },
  {
    // Ambient module declarations describe third-party shapes; their names are used as types only.
    files: ['src/types/*.d.ts', 'examples/**/*.d.ts'],
    rules: { '@typescript-eslint/no-unused-vars': 'off' },
  },
  {
    // The examples use authring as a user would: through the public entry point only.
    files: ['examples/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(\\.\\./)+src/(?!index\\.js$)', message: 'examples import authring from src/index.js (the package entry) only' }] }],
    },
  },
);
