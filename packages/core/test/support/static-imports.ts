/**
 * Prints the static imports of the TypeScript files named on the command line, as JSON
 * `{ "<file>": ["<specifier>", ...] }`. V8 parses each file (after Node strips its types), so an
 * import written inside a template string or a comment does not count, and type-only imports, which
 * vanish at run time, do not either. `vm.SourceTextModule` needs `--experimental-vm-modules`, which
 * is why exports.test.ts runs this in a child process.
 *
 * @example
 * node --experimental-vm-modules --no-warnings packages/core/test/support/static-imports.ts packages/core/src/index.ts
 */
import { readFileSync } from "node:fs";
import { stripTypeScriptTypes } from "node:module";
import { SourceTextModule } from "node:vm";

const imports: Record<string, string[]> = {};
for (const file of process.argv.slice(2)) {
  const module = new SourceTextModule(stripTypeScriptTypes(readFileSync(file, "utf8")), { identifier: file });
  imports[file] = [...module.dependencySpecifiers];
}
process.stdout.write(JSON.stringify(imports));
