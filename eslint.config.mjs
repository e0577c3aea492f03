import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const DEPTHS = 4;
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The rest of a relative specifier: no `.` or `..` segment anywhere in it. */
const PLAIN_PATH = '(?!(?:[^/]*/)*\\.\\.?(?:/|$))[^]+';

/**
 * An allowlist of imports for the files under src/<layer>/: the layer itself, the folders of src/ named in
 * `layers`, the files of src/ named in `files` (without extension), and the packages (node: built-ins
 * included) named in `packages`; every other import is refused. no-restricted-imports sees a specifier as
 * written, so a relative one is read against the file's depth below src/<layer>/: one block per depth.
 * Deeper files than that are refused every import. A dynamic import() is refused (the rule cannot see it;
 * an import() type is already, by consistent-type-imports). `only`: one file directly in the layer.
 */
function layerImports(layer, { layers = [], files = [], packages = [], only }) {
  const deeper = {
    files: [`src/${layer}/${'*/'.repeat(DEPTHS)}**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '', message: `a file this deep in src/${layer} is outside the dependency rule: raise DEPTHS` },
          ],
        },
      ],
    },
  };
  const blocks = Array.from({ length: only === undefined ? DEPTHS : 1 }, (_, depth) => {
    const toSrc = `(?:\\.\\./){${depth + 1}}`;
    const allowed = [
      `\\./${PLAIN_PATH}`,
      ...(depth > 0 ? [`(?:\\.\\./){1,${depth}}${PLAIN_PATH}`] : []),
      ...layers.map((folder) => `${toSrc}${escape(folder)}/${PLAIN_PATH}`),
      ...files.map((file) => `${toSrc}${escape(file)}`),
      ...packages.map(escape),
    ];
    const reach = [`src/${layer}`, ...layers.map((folder) => `src/${folder}`), ...files.map((f) => `src/${f}.ts`)];
    return {
      files: [only === undefined ? `src/${layer}/${'*/'.repeat(depth)}*.ts` : `src/${layer}/${only}`],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              {
                regex: `^(?!(?:${allowed.join('|')})$)`,
                caseSensitive: true,
                message: `src/${layer} may import only ${[...reach, ...packages].join(', ')}.`,
              },
            ],
          },
        ],
        'no-restricted-syntax': [
          'error',
          { selector: 'ImportExpression', message: `src/${layer} imports statically, where the rule above sees it.` },
        ],
      },
    };
  });
  return only === undefined ? [...blocks, deeper] : blocks;
}

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.tools/**',
      'artifacts/**',
      'coverage/**',
      'bench-results/**',
      '*.config.js',
      '*.config.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  // The dependency rule of the hexagon, as an allowlist (anything not named is refused).
  ...layerImports('domain', {}),
  ...layerImports('application', { layers: ['domain', 'ports'], files: ['errors'], packages: ['node:crypto'] }),
  ...layerImports('ports', { layers: ['domain'] }),
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
