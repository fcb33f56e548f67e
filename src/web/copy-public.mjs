// Build step: the dashboard's static files (index.html, styles.css) go beside
// the compiled server module, where registerDashboard looks for them in dist/.
import { cpSync } from 'node:fs';

cpSync(new URL('./public/', import.meta.url), new URL('../../dist/web/public/', import.meta.url), { recursive: true });
