/**
 * A tool's MCP result as the thread records it. Text stays text; structured content is kept as is
 * and replaces the text (the spec has a server repeat structured content as JSON text, so keeping
 * both would put it in the context twice);
 * resources and images become references (uri, MIME type, size), never their bytes, so a screenshot
 * does not fill the context window. `isError: true` is the tool's own failure: it becomes the call's
 * error event, which the model sees and the error policy counts.
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { McpServerError, McpToolError } from "./mcp-errors.ts";

type Block = CallToolResult["content"][number];

/** A content block that is not text, as a reference the model can name. */
function reference(block: Block): Record<string, unknown> | undefined {
  switch (block.type) {
    case "image":
    case "audio":
      // base64 holds 3 bytes in 4 characters.
      return { type: block.type, mimeType: block.mimeType, bytes: Math.floor((block.data.length * 3) / 4) };
    case "resource_link":
      return { type: "resource", uri: block.uri, name: block.name, ...(block.mimeType ? { mimeType: block.mimeType } : {}) };
    case "resource": {
      const { uri, mimeType } = block.resource;
      return { type: "resource", uri, ...(mimeType ? { mimeType } : {}) };
    }
    default:
      return undefined;
  }
}

/**
 * Returns what `run` returns for a successful call, or throws for `isError` and malformed results.
 *
 * @example
 * toolResult("fs", "read_text_file", { content: [{ type: "text", text: "hello" }] }); // "hello"
 */
export function toolResult(server: string, tool: string, result: CallToolResult): unknown {
  if (!Array.isArray(result?.content)) {
    throw new McpServerError(server, `MCP server "${server}" answered "${tool}" without a content array, which every tool result needs.`);
  }
  const text = result.content
    .filter((block): block is Extract<Block, { type: "text" }> => block.type === "text")
    .map((block) => block.text)
    .join("\n");
  if (result.isError) {
    throw new McpToolError(server, tool, `${tool} failed: ${text || "the server gave no reason"}`);
  }
  const references = result.content.map(reference).filter((entry) => entry !== undefined);
  if (result.structuredContent === undefined && references.length === 0) return text;
  if (result.structuredContent !== undefined && references.length === 0) return result.structuredContent;
  return {
    ...(result.structuredContent !== undefined ? { structured: result.structuredContent } : text ? { text } : {}),
    references,
  };
}
