import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Built into `dist/`, which the trellis binary embeds and serves at `/`. Assets get
// content hashes (served with long cache headers); nothing is fetched from another host.
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', assetsDir: 'assets', sourcemap: false },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
