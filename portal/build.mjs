// Builds the portal into dist/: one ES module bundle of src/app.js (with client-js and its
// dependencies) by esbuild, beside the page and its style.

import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Builds dist/ and returns its path. */
export async function buildPortal() {
  const dist = join(here, 'dist');
  mkdirSync(dist, { recursive: true });
  await build({
    entryPoints: [join(here, 'src', 'app.js')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outfile: join(dist, 'app.js'),
    sourcemap: true,
    minify: true,
    // The browser has WebSocket: the Node.js package client-js falls back to is never loaded.
    external: ['ws'],
    logLevel: 'warning',
  });
  for (const file of ['index.html', 'style.css', 'favicon.svg']) copyFileSync(join(here, 'src', file), join(dist, file));
  return dist;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dist = await buildPortal();
  console.log(`built ${dist}`);
}
