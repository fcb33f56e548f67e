/** Transpiles the given src/ entries and their imports for child processes; returns the output root (mirrors src/). */
export function transpileForChild(entries: string[], tag?: string): string;
