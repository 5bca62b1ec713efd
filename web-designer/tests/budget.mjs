// The first-load budget: the scripts the built app's index.html names (what a browser
// loads before the first screen, lazily loaded screens not included), gzipped, at most
// 600 KB. Prints the figure; fails above it. Run after `vite build`.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';

const BUDGET = 600 * 1024;
const dist = new URL('../dist/', import.meta.url).pathname;
const index = readFileSync(join(dist, 'index.html'), 'utf8');
const named = [...index.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
const bytes = named.reduce((n, f) => n + gzipSync(readFileSync(join(dist, f))).length, 0);
console.log(`first-load JS gzipped: ${bytes} B in ${named.length} scripts (budget ${BUDGET} B)`);
if (named.length === 0 || bytes > BUDGET) process.exit(1);
