/**
 * @vmcp/release-tests (private): what the release tests need to drive the release pipeline
 * without GitHub: a throwaway npm registry, a copy of the repository to version and publish from,
 * an npm project that installs from the registry, and the parsed workflows.
 * @packageDocumentation
 */
export {
  type LocalRegistry,
  LocalRegistryError,
  type Packument,
  type PublishedManifest,
  RegistryRequestTimeoutMs,
  RegistryStartTimeoutMs,
  startLocalRegistry,
} from "./local-registry.js";
export { installFromRegistry, RegistryInstallTimeoutMs } from "./registry-project.js";
export {
  type BumpType,
  bump,
  CopyCommandTimeoutMs,
  changelogSection,
  commitAll,
  copyRepository,
  git,
  publishableManifests,
  QuietEnv,
  versions,
  writeChangeset,
} from "./repository-copy.js";
export {
  allSteps,
  loadWorkflows,
  type Workflow,
  type WorkflowJob,
  type WorkflowStep,
  workflow,
  workflowsDir,
} from "./workflows.js";
