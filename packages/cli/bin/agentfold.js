#!/usr/bin/env node
// The `agentfold` command. Node 24 runs the TypeScript sources directly (type stripping), so this
// shim only loads them; it stays JavaScript so it works as a package `bin` on every platform.
import { main } from "../src/main.ts";

process.exitCode = await main(process.argv.slice(2));
