/**
 * Synchronous loading of a dependency on its first use, for the few that cost noticeable time or
 * memory to load and are needed only on some paths: the tokenizer's rank table (~100 ms, 70 MB),
 * jsonrepair (only for a reply that is not valid JSON). Their callers are synchronous (a getter, a
 * pure planner, a parser), so a dynamic `import()` would not do.
 *
 * `createRequire` is reached through `process.getBuiltinModule` rather than an import of
 * `node:module`, so the main entry keeps no static `node:*` import and bundlers leave the
 * dependency out. It loads the package's CommonJS build; both users here are stateless functions,
 * so a second copy of one (an ES module import elsewhere) shares nothing that could disagree.
 */

/**
 * The package `specifier` resolved from agentfold's own location, or `undefined` where Node's
 * `require` is not available (not Node, or Node before 22.3).
 *
 * @example
 * const { jsonrepair } = requireOnFirstUse("jsonrepair") as typeof import("jsonrepair");
 */
export function requireOnFirstUse(specifier: string): unknown {
  const createRequire = globalThis.process?.getBuiltinModule?.("node:module")?.createRequire;
  return createRequire?.(import.meta.url)(specifier);
}
