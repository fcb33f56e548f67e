/**
 * Preview ids: a preview binds a previewId to the exact order for a few
 * minutes (PREVIEW_TTL_SECONDS). Placing with a previewId checks the order is
 * still the one that was previewed, so an agent cannot preview one order and
 * place another.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from './clock.js';
import { PreviewError } from './errors.js';
import { hashOf } from './hashing.js';
import type { OrderSpec } from './models.js';

interface Issued {
  specHash: string;
  expiresAt: number;
}

/** The order's identity for previews: everything but the caller's own id. */
export const previewHash = (spec: OrderSpec): string => {
  const { clientOrderId: _ignored, ...order } = spec;
  return hashOf(order);
};

/** A new order's preview binds its spec; a modification's, the spec and the order it modifies (so neither stands in for the other). */
const bindingHash = (spec: OrderSpec, modifies: string | undefined): string => (modifies === undefined ? previewHash(spec) : hashOf({ modifies, order: previewHash(spec) }));

export class PreviewRegistry {
  private readonly issued = new Map<string, Issued>();

  constructor(
    private readonly ttlMs: number,
    private readonly clock: Clock,
  ) {}

  /** `modifies`: the working order a modification preview is for; it binds the preview to that order too. */
  issue(spec: OrderSpec, modifies?: string): { previewId: string; expiresAt: string } {
    this.sweep();
    const previewId = `pv_${randomBytes(12).toString('base64url')}`;
    const expiresAt = this.clock.now() + this.ttlMs;
    this.issued.set(previewId, { specHash: bindingHash(spec, modifies), expiresAt });
    return { previewId, expiresAt: new Date(expiresAt).toISOString() };
  }

  /** Throws PREVIEW_NOT_FOUND, PREVIEW_EXPIRED or PREVIEW_MISMATCH. */
  check(previewId: string, spec: OrderSpec, modifies?: string): void {
    const issued = this.issued.get(previewId);
    if (!issued) throw new PreviewError('PREVIEW_NOT_FOUND', `No preview ${previewId}: preview the order first`, { previewId });
    if (this.clock.now() > issued.expiresAt) {
      throw new PreviewError('PREVIEW_EXPIRED', `Preview ${previewId} expired at ${new Date(issued.expiresAt).toISOString()}; preview the order again`, { previewId });
    }
    if (issued.specHash !== bindingHash(spec, modifies)) {
      throw new PreviewError('PREVIEW_MISMATCH', `The order differs from the one previewed as ${previewId}; preview it again`, { previewId });
    }
  }

  private sweep(): void {
    const now = this.clock.now();
    for (const [id, p] of this.issued) if (p.expiresAt < now) this.issued.delete(id);
  }
}
