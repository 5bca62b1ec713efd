import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

/// The bundled fonts in WOFF2 only: every browser the app supports reads it, so the WOFF
/// fallback each `@font-face` also names would only ship megabytes nobody loads.
function woff2Only(): Plugin {
  return {
    name: 'trellis-woff2-only',
    enforce: 'pre',
    transform(code, id) {
      if (!/@fontsource\/.*\.css$/.test(id)) return null;
      return { code: code.replace(/,\s*url\([^)]*\.woff\)\s*format\('woff'\)/g, ''), map: null };
    },
  };
}

// Built into `dist/`, which the trellis binary embeds and serves at `/`. Assets get
// content hashes (served with long cache headers); nothing is fetched from another host.
// None is inlined as a `data:` URL: the page's CSP loads fonts from its own origin only,
// so an inlined font chunk (the small ones of the CJK font) would be refused.
export default defineConfig({
  plugins: [woff2Only(), react()],
  build: { outDir: 'dist', assetsDir: 'assets', sourcemap: false, assetsInlineLimit: 0 },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
