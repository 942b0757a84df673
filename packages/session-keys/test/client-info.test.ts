import {
  decodeClientInfo,
  encodeClientInfo,
  InvalidMetadataValueError,
  MetadataKeyClientCapabilities,
  MetadataKeyClientInfo,
  type StoredClientInfo,
} from "@vmcp/session-keys";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const client: StoredClientInfo = {
  protocolVersion: "2025-11-25",
  capabilities: { sampling: {}, roots: { listChanged: true } },
  clientInfo: { name: "inspector", version: "1.2.3", title: "Inspector" },
};

function decodeError(metadata: Record<string, string>): InvalidMetadataValueError {
  try {
    decodeClientInfo(metadata);
  } catch (error) {
    if (error instanceof InvalidMetadataValueError) return error;
    throw error;
  }
  throw new Error("decodeClientInfo accepted a corrupt value");
}

describe("client info", () => {
  it("writes the three vmcp.client keys", () => {
    expect(encodeClientInfo(client)).toEqual({
      "vmcp.client.protocol_version": "2025-11-25",
      "vmcp.client.capabilities": '{"sampling":{},"roots":{"listChanged":true}}',
      "vmcp.client.info": '{"name":"inspector","version":"1.2.3","title":"Inspector"}',
    });
  });

  it("round-trips any client info", () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.dictionary(fc.string(), fc.jsonValue()),
        fc.string(),
        fc.string(),
        (protocolVersion, capabilities, name, version) => {
          const stored = { protocolVersion, capabilities, clientInfo: { name, version } };
          expect(decodeClientInfo(encodeClientInfo(stored))).toEqual(
            JSON.parse(JSON.stringify(stored)),
          );
        },
      ),
    );
  });

  it("reads nothing from metadata without client keys", () => {
    expect(decodeClientInfo({ "vmcp.backend.ids": "a" })).toBeUndefined();
  });

  it("refuses a group with a key missing, naming it", () => {
    const metadata = encodeClientInfo(client);
    delete metadata[MetadataKeyClientCapabilities];
    expect(decodeError(metadata)).toMatchObject({
      key: MetadataKeyClientCapabilities,
      value: undefined,
    });
  });

  it("refuses capabilities or info that are not JSON objects", () => {
    expect(
      decodeError({ ...encodeClientInfo(client), [MetadataKeyClientCapabilities]: "nope" }).key,
    ).toBe(MetadataKeyClientCapabilities);
    expect(decodeError({ ...encodeClientInfo(client), [MetadataKeyClientInfo]: "[]" }).key).toBe(
      MetadataKeyClientInfo,
    );
  });

  it("refuses client info without a string name or version", () => {
    for (const info of ['{"version":"1"}', '{"name":"x","version":1}']) {
      const error = decodeError({ ...encodeClientInfo(client), [MetadataKeyClientInfo]: info });
      expect(error).toMatchObject({ key: MetadataKeyClientInfo, value: info });
    }
  });
});
