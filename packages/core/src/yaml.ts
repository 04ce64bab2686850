/**
 * A small YAML writer for JSON values, used by the default context renderer. It writes the dense,
 * readable block style the 12-factor guide shows and quotes anything a YAML 1.2 parser could read
 * as another type. Hand-written because rendering runs on every step and must stay in microseconds.
 */
import type { JsonValue } from "./events.ts";

const reserved = /^(?:true|false|null|yes|no|on|off|y|n|~)$/i;
// Letters, digits and the punctuation that cannot start or change a YAML token in this position.
const plainSafe = /^[A-Za-z0-9_/][A-Za-z0-9_ .,/()'$@%+=?!:#-]*$/;
// Anything a YAML 1.1 or 1.2 parser could read as a number (ints, floats, hex, octal, sexagesimal).
const numberLike = /^[-+]?(?:[0-9][0-9_:]*(?:\.[0-9_]*)?(?:e[-+]?[0-9]+)?|\.[0-9]+|0x[0-9a-f_]+|0o[0-7]+|0b[01_]+)$/i;

function isPlain(text: string): boolean {
  return (
    plainSafe.test(text) &&
    !reserved.test(text) &&
    !numberLike.test(text) &&
    !text.endsWith(" ") &&
    !text.includes(" #") &&
    !text.includes(": ") &&
    !text.endsWith(":")
  );
}

function scalarString(text: string): string {
  return isPlain(text) ? text : JSON.stringify(text);
}

/** A key as YAML: plain when safe, else double-quoted. */
function key(text: string): string {
  return isPlain(text) && !text.includes(" ") ? text : JSON.stringify(text);
}

/** Multi-line strings become block literals when they can round-trip exactly. */
function blockLiteral(text: string, indent: string): string | undefined {
  if (!text.includes("\n") || /[\r\t\u0000-\u0008\u000b-\u001f\u007f\u0085\u2028\u2029\ufeff]/.test(text)) return undefined;
  const body = text.replace(/\n+$/, "");
  const trailing = text.length - body.length;
  // The first non-empty line sets the block's indentation: it must not start with a space.
  const firstLine = body.split("\n").find((line) => line !== "") ?? "";
  if (
    trailing > 1 ||
    body === "" ||
    firstLine.startsWith(" ") ||
    body.split("\n").some((line) => line.endsWith(" ") || (line.startsWith(" ") && line.trim() === ""))
  ) {
    return undefined;
  }
  const chomp = trailing === 0 ? "-" : "";
  const lines = body.split("\n").map((line) => (line === "" ? "" : indent + line));
  return `|${chomp}\n${lines.join("\n")}`;
}

function isEmptyCollection(value: JsonValue): boolean {
  return value !== null && typeof value === "object" && (Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0);
}

function inline(value: JsonValue, indent: string): string {
  if (value === null) return "null";
  if (typeof value === "boolean") return String(value);
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "null";
  if (typeof value === "string") return blockLiteral(value, indent) ?? scalarString(value);
  return Array.isArray(value) ? "[]" : "{}";
}

/** A flow scalar: plain when safe in `{…}` (no `,[]{}`), else double-quoted. */
function flowScalar(value: string | number | boolean | null): string {
  if (typeof value !== "string") return inline(value, "");
  return isPlain(value) && !/[,[\]{}]/.test(value) ? value : JSON.stringify(value);
}

const flowLimit = 160;

/**
 * A list item that is a small record of scalars, as one flow mapping line (`- {tag: v1, date: …}`):
 * denser than a block for lists of records. `undefined` when the item does not qualify.
 */
function flowRecord(item: JsonValue): string | undefined {
  if (item === null || typeof item !== "object" || Array.isArray(item)) return undefined;
  const parts: string[] = [];
  for (const [name, inner] of Object.entries(item)) {
    if (inner !== null && typeof inner === "object") return undefined;
    if (typeof inner === "string" && inner.includes("\n")) return undefined;
    parts.push(`${flowScalar(name)}: ${flowScalar(inner)}`);
  }
  const line = `{${parts.join(", ")}}`;
  return parts.length > 1 && line.length <= flowLimit ? line : undefined;
}

function write(value: JsonValue, indent: string, out: string[]): void {
  if (Array.isArray(value)) {
    for (const item of value) {
      const flow = flowRecord(item);
      if (flow !== undefined) {
        out.push(`${indent}- ${flow}`);
      } else if (item !== null && typeof item === "object" && !isEmptyCollection(item)) {
        const nested: string[] = [];
        write(item, `${indent}  `, nested);
        // The first line of the nested block goes on the dash line.
        const first = nested[0] ?? "";
        out.push(`${indent}- ${first.slice(indent.length + 2)}`, ...nested.slice(1));
      } else {
        out.push(`${indent}- ${inline(item, `${indent}  `)}`);
      }
    }
    return;
  }
  if (value !== null && typeof value === "object") {
    for (const [name, item] of Object.entries(value)) {
      if (item !== null && typeof item === "object" && !isEmptyCollection(item)) {
        out.push(`${indent}${key(name)}:`);
        write(item, Array.isArray(item) ? indent : `${indent}  `, out);
      } else {
        out.push(`${indent}${key(name)}: ${inline(item, `${indent}  `)}`);
      }
    }
    return;
  }
  out.push(`${indent}${inline(value, indent)}`);
}

/**
 * YAML for a JSON value, without a trailing newline.
 *
 * @example
 * toYaml({ tags: [{ name: "v1.2.3" }] }); // "tags:\n- name: v1.2.3"
 */
export function toYaml(value: JsonValue): string {
  if (value === null || typeof value !== "object" || isEmptyCollection(value)) return inline(value, "  ");
  const out: string[] = [];
  write(value, "", out);
  return out.join("\n");
}
