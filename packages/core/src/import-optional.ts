/**
 * Optional peer packages (`pg`, the AI SDK providers) are imported on first use. When the package
 * itself is not installed the error says what to run; any other failure (a broken install, one of
 * the package's own dependencies missing) is rethrown as it is, since `npm i` would not fix it.
 */
import { ConfigurationError } from "./errors.ts";

/**
 * Runs `load` (an `import()` of `name`); "`name` is not installed" becomes a one-line
 * `ConfigurationError` with `message`.
 *
 * @example
 * const pg = await importOptional("pg", "The Postgres store needs the pg package: npm i pg", () => import("pg"));
 */
export async function importOptional<T>(name: string, message: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const { code, message: reason } = error as { code?: unknown; message?: unknown };
    if (code === "ERR_MODULE_NOT_FOUND" && typeof reason === "string" && reason.includes(`'${name}'`)) {
      throw new ConfigurationError(message, { cause: error });
    }
    throw error;
  }
}
