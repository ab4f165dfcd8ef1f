import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Drivers and frameworks: only adapters, storage implementations, transports and the composition root use them. */
const DRIVERS = ['mongodb', '@grpc/*', 'fastify', '@fastify/*', 'prom-client', 'bcrypt', 'piscina', 'pino', 'lru-cache', 'grpc-health-check', 'openid-client', 'jose', 'cookie'];

export default tseslint.config(
  { ignores: ['dist/', 'src/gen/', 'node_modules/', 'bench/loopback/', 'bench/results/', 'packages/*/dist/', 'packages/*/src/gen/'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { globals: globals.node },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The core: use cases only. It sees storage through its ports and nothing of transports or drivers.
    files: ['src/core/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: DRIVERS, message: 'the core uses no driver: put it behind a port (src/core/ports.ts or src/storage/*/port.ts)' },
            { group: ['**/transport/**', '**/adapters/**', '**/gen/**', '**/app.js', '**/config.js', '**/metrics.js'], message: 'the core knows no transport, adapter, generated code or configuration' },
            { regex: 'storage/(?![a-z-]+/port\\.js$)', message: 'the core sees storage only through src/storage/<aggregate>/port.ts' },
          ],
          paths: [{ name: '../logger.js', allowTypeImports: true }],
        },
      ],
    },
  },
  {
    // Storage implements ports; it knows nothing of the use cases beyond their error type, nor of transports.
    files: ['src/storage/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/transport/**', '**/adapters/**', '**/app.js', '**/config.js', '**/metrics.js'], message: 'storage knows no transport, adapter or configuration' },
            { regex: 'core/(?!errors\\.js$)', message: 'storage may use only the core\'s error type' },
          ],
        },
      ],
    },
  },
  {
    // Transports are thin: they call the core and map its errors; they never reach storage or drivers of storage.
    files: ['src/transport/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/storage/**', 'mongodb', 'bcrypt', 'piscina', '**/app.js', '**/config.js'], message: 'a transport calls the core; it gets its settings from the composition root' },
          ],
        },
      ],
    },
  },
);
