/**
 * @vmcp/consumer-tests (private): besides its own tests, it lends the helpers other test
 * workspaces need to drive the repository from outside: running a command with a bound, and
 * finding the workspace root, its manifests and its publishable packages.
 * @packageDocumentation
 */
export { CommandFailedError, type RunOptions, type RunResult, runCommand } from "./run-command.js";
export {
  type Manifest,
  publishablePackages,
  publishableRoot,
  readManifest,
  tarballName,
  type WorkspacePackage,
  workspaceRange,
  workspaceRoot,
} from "./workspace.js";
