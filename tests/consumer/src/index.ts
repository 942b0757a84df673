/**
 * @vmcp/consumer-tests (private): besides its own tests, it lends the helpers other test
 * workspaces need to drive the repository from outside: running a command with a bound, and
 * finding the workspace root, its manifests and its publishable packages, and the lockfile's
 * versions that hold a test project to what the workspace was tested with.
 * @packageDocumentation
 */
export {
  type DependencyMode,
  dependencyMode,
  lockedOverrides,
  lockedVersion,
  lockedVersions,
  type ProjectDependencies,
  projectDependencies,
} from "./locked-versions.js";
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
