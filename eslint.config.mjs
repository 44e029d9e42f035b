import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Each layer may import only what is beneath it: the core knows no adapter, the apps only the package's entries. */
const layers = [
  {
    files: ['src/**/*.ts', 'src/**/*.mts'],
    patterns: [
      { group: ['express', 'express/*', 'helmet'], message: 'src/ is the core and knows no Express' },
      { regex: '^(\\.\\./)+(middleware|gateway|competitor)(/.*)?$', message: 'src/ is the core: middleware/, gateway/ and competitor/ build on it, not the other way' },
    ],
  },
  {
    files: ['middleware/**/*.ts'],
    patterns: [{ regex: '^(\\.\\./)+(gateway|competitor)(/.*)?$', message: 'middleware/ is the Express adapter: the apps build on it, not the other way' }],
  },
  {
    files: ['gateway/**/*.ts', 'competitor/**/*.ts'],
    patterns: [
      {
        regex: '^(\\.\\./)+(src|middleware)/.+$',
        message: "an app uses the package's entries only: ../middleware (sightline) or ../src (sightline/core), as a user's service would",
      },
      { regex: '^(\\.\\./)+(gateway|competitor)(/.*)?$', message: 'the gateway and the competitor are separate services and share no code' },
    ],
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...layers.map(({ files, patterns }) => ({ files, rules: { 'no-restricted-imports': ['error', { patterns }] } })),
  {
    // One concept per file, functions a reader can hold in mind; tests are exempt (a table of cases is long by nature).
    files: ['src/**/*.ts', 'src/**/*.mts', 'middleware/**/*.ts', 'gateway/**/*.ts', 'competitor/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts', 'infra/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 400 }],
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
    },
  },
);
