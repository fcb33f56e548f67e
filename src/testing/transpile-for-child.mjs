// Child processes in tests cannot import TypeScript, and the tests must not
// depend on a fresh `npm run build` of the whole project (other modules may be
// mid-change). So a test transpiles the modules it needs and what they import,
// file by file, into node_modules/.cache, where Node still finds the project's
// dependencies (better-sqlite3, zod, decimal.js) by walking up to node_modules.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const here = dirname(fileURLToPath(import.meta.url));
const srcRoot = resolve(here, '..');
const projectRoot = resolve(srcRoot, '..');

/**
 * Transpiles `entries` (paths under src/, e.g. 'brokers/sim/index.ts') and
 * everything they import; returns the root the outputs mirror src/ under.
 */
export function transpileForChild(entries, tag = String(process.pid)) {
  const outRoot = join(projectRoot, 'node_modules', '.cache', 'ibkr-child-test', tag);
  const queue = entries.map((e) => join(srcRoot, e));
  const seen = new Set();
  while (queue.length > 0) {
    const file = queue.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/(?:from|import)\s+'(\.{1,2}\/[^']+)\.js'/g)) {
      queue.push(resolve(dirname(file), `${match[1]}.ts`));
    }
    const out = ts.transpileModule(text, {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    });
    const target = join(outRoot, relative(srcRoot, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, out.outputText);
  }
  return outRoot;
}
