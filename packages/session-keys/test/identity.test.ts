import {
  decodeIdentity,
  encodeIdentity,
  InvalidMetadataValueError,
  MetadataKeyIdentityBinding,
  MetadataKeyIdentityIssuer,
  MetadataKeyIdentitySubject,
} from "@vmcp/session-keys";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const identity = { issuer: "https://idp.example", subject: "alice", binding: "h4sh" };

describe("identity", () => {
  it("writes the three vmcp.identity keys", () => {
    expect(encodeIdentity(identity)).toEqual({
      "vmcp.identity.issuer": "https://idp.example",
      "vmcp.identity.subject": "alice",
      "vmcp.identity.binding": "h4sh",
    });
  });

  it("round-trips any identity", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (issuer, subject, binding) => {
        const stored = { issuer, subject, binding };
        expect(decodeIdentity(encodeIdentity(stored))).toEqual(stored);
      }),
    );
  });

  it("reads no identity from an open session's metadata", () => {
    expect(decodeIdentity({ "vmcp.backend.ids": "a" })).toBeUndefined();
  });

  it.each([MetadataKeyIdentityIssuer, MetadataKeyIdentitySubject, MetadataKeyIdentityBinding])(
    "refuses the keys without %s, naming it",
    (missing) => {
      const metadata = encodeIdentity(identity);
      delete metadata[missing];
      expect(() => decodeIdentity(metadata)).toThrow(InvalidMetadataValueError);
      expect(() => decodeIdentity(metadata)).toThrow(
        expect.objectContaining({ code: "VMCP_INVALID_METADATA_VALUE", key: missing }),
      );
    },
  );
});
