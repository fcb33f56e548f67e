/**
 * The web dashboard: static files only. Everything it shows comes from the
 * REST API through the same routes, keys and scopes as any other client, so
 * nothing here touches the core. The files are public (no key): the page is
 * useless without a key, and the data calls carry it.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

export interface DashboardOptions {
  /** Directory of index.html and styles.css; default ./public beside this module. */
  publicDir?: string;
  /** Directory of the compiled browser app (main.js ...); default ./app beside this module, else dist/web/app. */
  appDir?: string;
}

const here = dirname(fileURLToPath(import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

/**
 * Only our own origin: the page makes no external request, and an injected
 * script could not send the key anywhere else. 'unsafe-inline' for styles only,
 * because the chart library positions its canvases with style attributes.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "object-src 'none'",
].join('; ');

/** Serves the dashboard at / and its assets under /assets/. Call before the server listens. */
export async function registerDashboard(app: FastifyInstance, options: DashboardOptions = {}): Promise<void> {
  const publicDir = resolve(options.publicDir ?? join(here, 'public'));
  // Built output sits beside this module in dist/web; run from the sources (tests), the build is in dist/web/app.
  const appDir = resolve(options.appDir ?? [join(here, 'app'), join(here, '..', '..', 'dist', 'web', 'app')].find((d) => existsSync(join(d, 'main.js'))) ?? join(here, 'app'));
  const chartScript = createRequire(import.meta.url).resolve('lightweight-charts/package.json').replace(/package\.json$/, 'dist/lightweight-charts.standalone.production.js');

  const send = async (reply: FastifyReply, file: string): Promise<void> => {
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      // The API's own 404 body, so every miss on this server looks the same.
      reply.callNotFound();
      return;
    }
    const ext = file.slice(file.lastIndexOf('.'));
    await reply
      .type(TYPES[ext] ?? 'application/octet-stream')
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      // Small files served from a local process: always revalidate so an upgrade shows at once.
      .header('cache-control', 'no-cache')
      .send(body);
  };

  /** A file under dir by its request name, refusing anything that would leave dir. */
  const inside = (dir: string, name: string): string | null => {
    if (!/^[A-Za-z0-9._/-]+$/.test(name) || name.includes('..')) return null;
    const file = resolve(dir, name);
    return file.startsWith(dir + sep) ? file : null;
  };

  // No scope in the route config: the auth hook lets these through without a key.
  app.get('/', (_request, reply) => send(reply, join(publicDir, 'index.html')));
  app.get('/index.html', (_request, reply) => reply.redirect('/'));
  // Browsers ask for it on their own; a 404 there is a console error on every page load.
  app.get('/favicon.ico', (_request, reply) => send(reply, join(publicDir, 'favicon.ico')));
  app.get('/assets/styles.css', (_request, reply) => send(reply, join(publicDir, 'styles.css')));
  app.get('/assets/vendor/lightweight-charts.js', (_request, reply) => send(reply, chartScript));
  app.get<{ Params: { '*': string } }>('/assets/app/*', (request, reply) => {
    const file = inside(appDir, request.params['*']);
    if (file === null) return reply.callNotFound();
    return send(reply, file);
  });
}
