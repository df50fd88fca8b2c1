// Builds the console into dist/, served by syncd at /console/ (hashed file
// names under assets/ are cached for a year, index.html is revalidated).
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/console/',
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    sourcemap: false,
    // Every asset is a file served by syncd: no inlined data: URLs (CSP-friendly).
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 600,
  },
});
