/**
 * An agent that edits files in one folder through the MCP filesystem server: it reads and lists
 * freely (the server marks those tools read-only) and writes, edits or moves only after a person
 * approves the exact call.
 *
 * The folder is `MCP_FILES_DIR`, else ./notes beside this file. The server runs as a child process,
 * started by the first call and closed with the process; its tool list is kept in
 * ./.agentfold/mcp-tools/, so only the first load of this module starts it to list them.
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { mkdirSync } from "node:fs";
import { mcpTools } from "@agentfold/mcp";
import { defineAgent, doneForNow } from "agentfold";

export const folder = process.env.MCP_FILES_DIR ?? fileURLToPath(new URL("./notes", import.meta.url));
mkdirSync(folder, { recursive: true });

// The installed server (a dev dependency here); elsewhere `command: "npx", args: ["-y", "@modelcontextprotocol/server-filesystem", folder]`.
const serverPath = createRequire(import.meta.url).resolve("@modelcontextprotocol/server-filesystem/dist/index.js");

export const files = await mcpTools({
  name: "files",
  command: process.execPath,
  args: [serverPath, folder],
  // The server annotates these as not read-only already; saying so keeps the rule in this file.
  approval: { write_file: "required", edit_file: "required", move_file: "required", create_directory: "required" },
});

export const fileEditor = defineAgent({
  name: "file_editor",
  description: `Reads and edits the files in ${folder}; every change waits for a person's approval.`,
  tools: [...files.tools, doneForNow()],
});
