/** GET /api/me: which key this is and what it may do, so a client asks instead of probing for 403s. */
import { ApiKeyInfo } from '../../core/models.js';
import { scopeList } from '../scopes.js';
import type { ApiInstance } from '../types.js';
import { errorResponses, secured } from './common.js';

export function meRoutes(app: ApiInstance): void {
  app.get('/api/me', secured('read', 'auth', 'The API key making the request: its name and (hierarchical) scopes', { response: { 200: ApiKeyInfo, ...errorResponses } }), (request) => ({
    name: request.apiKeyName ?? '',
    scopes: scopeList(request.apiKeyScopes ?? new Set()),
  }));
}
