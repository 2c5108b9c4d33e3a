import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// In development the API runs on its own port (`npx kaif start`); in
// production the server serves dist/ itself, so everything stays same-origin.
const api = process.env.KAIF_API ?? 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    rollupOptions: {
      // The service worker is its own entry, at the site root (/sw.js) so its scope is the whole app.
      input: { main: 'index.html', sw: 'src/sw/service-worker.ts' },
      output: { entryFileNames: (chunk) => (chunk.name === 'sw' ? 'sw.js' : 'assets/[name]-[hash].js') },
    },
  },
  server: {
    proxy: {
      '/api': api,
      '/health': api,
      '/metrics': api,
      '/ws': { target: api.replace(/^http/, 'ws'), ws: true },
    },
  },
});
