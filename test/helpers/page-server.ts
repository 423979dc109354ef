/**
 * Serves the browser test pages (dist/test/pages, copied there by the build) at '/' and the
 * browser bundles (dist/browser) at '/lib/' on 127.0.0.1 and a free port. Pages get a secure
 * context without TLS because browsers treat http://127.0.0.1 as potentially trustworthy.
 */
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createStaticServer, listen, type Mounts } from '../../examples/common/static-files.js';

export const PAGES_DIR = fileURLToPath(new URL('../pages/', import.meta.url));
export const BROWSER_BUNDLES_DIR = fileURLToPath(new URL('../../browser/', import.meta.url));

export interface PageServer {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  close(): Promise<void>;
}

export async function startPageServer(extraMounts: Mounts = {}): Promise<PageServer> {
  const server: Server = createStaticServer({ '/': PAGES_DIR, '/lib/': BROWSER_BUNDLES_DIR, ...extraMounts });
  const url = await listen(server, 0, '127.0.0.1');
  return {
    url,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
