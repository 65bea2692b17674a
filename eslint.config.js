import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The layers, bottom to top (docs/design.md). A module imports modules of lower rows only,
// never one of its own row, and another module only through that module's index.ts.
// src/errors.ts is the one lone file below them all.
const LAYERS = [
  ['iso7816', 'identity', 'files', 'text'],
  ['pcsc'],
  ['pki'],
  ['piv', 'token', 'oath'],
  ['virtual', 'bank'],
  ['demo'],
  ['client'],
  ['cli'],
];
const MODULES = LAYERS.flat();
// Two contracts are entrances of their own, so that code for a browser or a preload does not
// load a whole module: the agent's API (src/client/api.ts, for the preload, the bridge client
// and the renderer) and the bank's wire schemas (pure zod, which that API reaches).
const EXTRA_ENTRANCES = ['bank/api/schemas\\.ts', 'client/api\\.ts'];
const ELECTRON_ONLY = { name: 'electron', message: 'Only electron/main.ts and electron/preload.ts may import electron.' };

const either = (names) => names.join('|');
/** A relative import that reaches one of `names` ('../pcsc/x.ts', '../../src/pcsc/index.ts'). */
const reaching = (names) => `^(?:\\.\\./)+(?:src/)?(?:${either(names)})/`;
const aroundIndex = {
  regex: `^(?:\\.\\./)+(?:src/)?(?!(?:${either(EXTRA_ENTRANCES)})$)(?:${either(MODULES)})/(?!index\\.ts$)`,
  message: 'Enter another module only through its index.ts (export what you need there).',
};
const restrict = (patterns, paths = [ELECTRON_ONLY]) => ({ 'no-restricted-imports': ['error', { paths, patterns }] });
const noCli = { regex: reaching(['cli']), message: 'electron wires src/client; it does not use the CLI.' };

const boundaries = [
  ...LAYERS.flatMap((row, level) =>
    row.map((m) => {
      const above = LAYERS.slice(level + 1).flat();
      const siblings = row.filter((s) => s !== m);
      const patterns = [aroundIndex];
      if (above.length) patterns.push({ regex: reaching(above), message: `${m} is below ${above.join(', ')}: it may not import them (docs/design.md).` });
      if (siblings.length) patterns.push({ regex: reaching(siblings), message: `${m} and ${siblings.join(', ')} are side by side: neither imports the other.` });
      return { files: [`src/${m}/**/*.ts`], rules: restrict(patterns) };
    }),
  ),
  { files: ['src/errors.ts'], rules: restrict([{ regex: '^\\.', message: 'src/errors.ts is the bottom: it imports nothing of the project.' }]) },
  { files: ['electron/**/*.ts'], rules: restrict([aroundIndex, noCli]) },
  { files: ['electron/main.ts', 'electron/preload.ts'], rules: restrict([aroundIndex, noCli], []) },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    rules: restrict([
      { regex: '^(?:\\.\\./)+src/(?!client/api\\.ts$)', message: 'The renderer imports nothing from src/ but src/client/api.ts (its types and the method list).' },
      { regex: '^node:', message: 'The renderer runs in the browser: no Node built-ins.' },
    ]),
  },
];

export default tseslint.config(
  { ignores: ['node_modules', 'dist', 'out', 'release', 'coverage', 'bench-results'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', URL: 'readonly', structuredClone: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { paths: [ELECTRON_ONLY] }],
    },
  },
  ...boundaries,
  {
    // bin/ is CommonJS (bin/package.json): the programs' entries, kept off Node's ES module loader.
    files: ['bin/**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
