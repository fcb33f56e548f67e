/**
 * The kill switch, engage only. An agent that sees something wrong (runaway
 * losses, orders it did not mean) must be able to stop itself; releasing is a
 * human decision, so no MCP tool can do it (CLI or REST admin only).
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { KillSwitchState } from '../../core/models.js';
import { guard, ok } from '../results.js';
import type { ToolContext } from './context.js';

export const EngageKillSwitchArgs = z.strictObject({
  reason: z.string().trim().min(1).max(500).describe('Why trading must stop; recorded in the audit log and shown to the human who releases it'),
});

export function registerAdminTools(server: McpServer, { api }: ToolContext): void {
  server.registerTool(
    'engage_kill_switch',
    {
      title: 'Engage kill switch',
      description:
        'EMERGENCY STOP: blocks every new order from every client (REST, CLI, MCP) and cancels all working orders, until a human admin releases it ' +
        '(no tool can release it). Use when trading must stop now: losses running away, orders you did not intend, or the user asks to halt everything. ' +
        'Positions are NOT closed. Works with a trade-scope key (an agent may always stop itself); only an admin can release it. Afterwards every place_order fails with KILL_SWITCH_ENGAGED.',
      inputSchema: EngageKillSwitchArgs,
      outputSchema: KillSwitchState,
      // Engaging twice leaves the same state; destructive because it cancels working orders.
      annotations: { title: 'Engage kill switch', readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
    },
    (args, extra) =>
      guard(async () => {
        const s = await api.request(KillSwitchState, { method: 'POST', path: '/api/admin/kill-switch', body: { engaged: true, reason: args.reason }, signal: extra.signal });
        return ok(
          s,
          s.engaged
            ? `Kill switch ENGAGED since ${s.since ?? 'now'}${s.by ? ` by ${s.by}` : ''}: ${s.reason ?? args.reason}. New orders are blocked and working orders cancelled until a human releases it.`
            : 'The gateway reports the kill switch is NOT engaged; tell the user immediately.',
        );
      }),
  );
}
