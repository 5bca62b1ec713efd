import { defineConfig } from 'vite';

// The unit tests (tests/unit, node:test) bundled for Node as one module, with what they
// import from src/ and its packages: Node 20 runs no TypeScript itself.
export default defineConfig({
  build: {
    ssr: 'tests/unit/index.ts',
    outDir: 'build/unit',
    emptyOutDir: true,
    target: 'node20',
    rolldownOptions: { output: { entryFileNames: 'index.test.mjs' } },
  },
  ssr: { noExternal: true },
});
