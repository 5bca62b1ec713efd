// Browser tests: Debian's Chromium driven by playwright-core against a real `trellis serve`
// (started by tests/e2e/browser.rs). The harness opens the browser; each file's checks run
// in turn; the run fails if any did.
import { finish } from './harness.mjs';

await import('./rm.mjs');
await import('./walk.mjs');
await import('./designer.mjs');
await import('./dashboards.mjs');
await import('./imports.mjs');
await finish();
