/**
 * `create-agentfold`: scaffolds a new agentfold project (`npm create agentfold@latest my-agent`).
 * `agentfold init` in `@agentfold/cli` writes the same files through this package.
 *
 * @example
 * import { writeProject } from "create-agentfold";
 * const written = writeProject("./my-agent"); // ["package.json", "agent.ts", …]
 */

// The command
export { main, nextSteps, readmePointer, defaultDirectory, type CreateIo } from "./main.ts";

// Writing a project
export { writeProject, directoryProblem, ProjectDirectoryError, type DirectoryProblem, type WriteProjectOptions } from "./write-project.ts";

// What a project holds
export {
  projectFiles,
  projectManifest,
  projectTsconfig,
  projectName,
  agentfoldDependencies,
  agentfoldVersion,
  projectNodeRange,
  typescriptRange,
  nodeTypesRange,
  zodRange,
  type ProjectOptions,
} from "./project-files.ts";
export { projectReadme } from "./project-readme.ts";
export { starterMessage, approvalMessage } from "./starter-agent.ts";
