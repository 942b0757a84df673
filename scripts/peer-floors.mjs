#!/usr/bin/env node
// Sets every published package's peer range on @vmcp/session-core to "workspace:>=<its version>
// <1.0.0", after `changeset version` (the version-packages script runs it).
//
// Why: the published packages are versioned together (`fixed` in .changeset/config.json). On 0.x a
// caret range (`workspace:^`, published as ^0.y.z) does not admit the next minor, and changesets
// releases a peer dependent that a release leaves out of range as a major: a session-core minor
// would have made the stores 1.0.0, a major nobody chose. A floor at the version just released and
// a ceiling at 1.0.0 keeps every later 0.x minor in range (so the group moves together as a minor)
// while a store never claims to work with a session-core older than the one it was released with.
// At 1.0.0 this goes, and the peers become "workspace:^".
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const core = "@vmcp/session-core";
const manifests = readdirSync(join(root, "packages")).map((folder) => {
  const file = join(root, "packages", folder, "package.json");
  return { file, json: JSON.parse(readFileSync(file, "utf8")) };
});
const coreVersion = manifests.find((m) => m.json.name === core)?.json.version;
if (coreVersion === undefined) throw new Error(`no packages/* manifest is ${core}`);
if (!coreVersion.startsWith("0.")) {
  throw new Error(
    `${core} is ${coreVersion}, past 0.x: make its peers "workspace:^" and drop this script`,
  );
}
const range = `workspace:>=${coreVersion} <1.0.0`;
for (const { file, json } of manifests) {
  if (json.peerDependencies?.[core] === undefined || json.peerDependencies[core] === range)
    continue;
  json.peerDependencies[core] = range;
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`peer-floors: ${json.name} peers on ${core} ${range}`);
}
