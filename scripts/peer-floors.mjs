#!/usr/bin/env node
// Sets every published package's peer range on another @vmcp package to
// "workspace:>=<that package's version> <1.0.0", after `changeset version` (the version-packages
// script runs it).
//
// Why: the published packages are versioned together (`fixed` in .changeset/config.json). On 0.x a
// caret range (`workspace:^`, published as ^0.y.z) does not admit the next minor, and changesets
// releases a peer dependent that a release leaves out of range as a major: a session-core minor
// would have made the stores 1.0.0, a major nobody chose. A floor at the version just released and
// a ceiling at 1.0.0 keeps every later 0.x minor in range (so the group moves together as a minor)
// while a store never claims to work with a package older than the one it was released with.
// At 1.0.0 this goes, and the peers become "workspace:^".
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const manifests = readdirSync(join(root, "packages")).map((folder) => {
  const file = join(root, "packages", folder, "package.json");
  return { file, json: JSON.parse(readFileSync(file, "utf8")) };
});
const versions = new Map(manifests.map(({ json }) => [json.name, json.version]));
for (const { file, json } of manifests) {
  let changed = false;
  for (const [name, current] of Object.entries(json.peerDependencies ?? {})) {
    const version = versions.get(name);
    if (version === undefined) continue; // not ours
    if (!version.startsWith("0.")) {
      throw new Error(
        `${name} is ${version}, past 0.x: make its peers "workspace:^" and drop this script`,
      );
    }
    const range = `workspace:>=${version} <1.0.0`;
    if (current === range) continue;
    json.peerDependencies[name] = range;
    changed = true;
    console.log(`peer-floors: ${json.name} peers on ${name} ${range}`);
  }
  if (changed) writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
}
