/**
 * The metadata of a typical gateway session, for benchmarks: three backends (one without
 * sessions) and an owner binding, six keys, about 250 bytes. `i` varies the per-session values.
 */
export function sampleSessionMetadata(i: number): Record<string, string> {
  return {
    "vmcp.backend.ids": "github,jira,slack",
    "vmcp.backend.session.github": `gh-${i}-3f9a1c`,
    "vmcp.backend.session.jira": `jr-${i}-77e0b2`,
    "vmcp.backend.session.slack": "",
    "vmcp.identity.subject": `user-${i}`,
    "vmcp.identity.binding": "b3f1c0de9a8e7f6d5c4b3a2918070605",
  };
}
