/** What every tool module gets: the REST caller for this server instance. */
import type { ApiCaller } from '../http.js';

export interface ToolContext {
  api: ApiCaller;
}

/** Reads touch nothing; marking them lets a client run them without asking the user. */
export const READ_ONLY = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true } as const;
