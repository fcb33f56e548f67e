/**
 * What the signed-in key may do. Controls a scope does not allow are disabled
 * with a note, not hidden, so a user sees what exists and why they cannot use it.
 */
import type { Scope } from './types.js';

let scopes = new Set<Scope>();

export function setScopes(next: Set<Scope>): void {
  scopes = next;
  applyScopes(document);
}

export const can = (scope: Scope): boolean => scopes.has(scope);
export const scopeList = (): Scope[] => (['read', 'trade', 'admin', 'approve'] as const).filter((s) => scopes.has(s));

/** Disables every [data-scope] control under root that the key lacks, and shows the matching notes. */
export function applyScopes(root: ParentNode): void {
  for (const node of Array.from(root.querySelectorAll<HTMLElement>('[data-scope]'))) {
    const needed = node.dataset.scope as Scope;
    const allowed = scopes.has(needed);
    if (node instanceof HTMLButtonElement || node instanceof HTMLFieldSetElement || node instanceof HTMLInputElement || node instanceof HTMLSelectElement) {
      // A control may also be off for its own reason (Place without a preview): the scope only ever adds a veto.
      node.disabled = !allowed || node.dataset.selfDisabled === 'true';
    }
    node.classList.toggle('no-scope', !allowed);
    if (allowed) node.removeAttribute('title');
    else node.title = `Needs an API key with the ${needed} scope`;
  }
}

/** Enables or disables a control for its own reason, keeping the scope's veto (see applyScopes). */
export function setEnabled(node: HTMLButtonElement, enabled: boolean): void {
  node.dataset.selfDisabled = String(!enabled);
  const needed = node.dataset.scope as Scope | undefined;
  node.disabled = !enabled || (needed !== undefined && !scopes.has(needed));
}
