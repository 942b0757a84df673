import { SessionOwnerMismatchError } from "@vmcp/session-core";
import { describe, expect, it } from "vitest";
// Internal names are imported from the built modules: the same instances as the package entry.
import { IdentityBinder } from "../dist/sessions/identity-binding.js";

describe("IdentityBinder", () => {
  const owner = { issuer: "https://idp", subject: "alice" };

  it("binds with a keyed hash: same key and identity give the same value, another key another value", () => {
    const one = new IdentityBinder("k1");
    expect(one.bindingFor(owner)).toBe(new IdentityBinder("k1").bindingFor(owner));
    expect(one.bindingFor(owner)).not.toBe(new IdentityBinder("k2").bindingFor(owner));
    expect(one.bindingFor(owner)).not.toContain("alice");
  });

  it("issuer and subject cannot be shifted into each other", () => {
    const binder = new IdentityBinder("k");
    expect(binder.bindingFor({ issuer: "ab", subject: "c" })).not.toBe(
      binder.bindingFor({ issuer: "a", subject: "bc" }),
    );
  });

  it("verify accepts the owner, refuses another subject, another issuer, no identity and a tampered value", () => {
    const binder = new IdentityBinder(new Uint8Array([1, 2, 3]));
    const metadata = binder.metadataFor(owner);
    expect(() => binder.verify("s", metadata, owner)).not.toThrow();
    for (const other of [
      { ...owner, subject: "bob" },
      { ...owner, issuer: "https://evil" },
      undefined,
    ]) {
      expect(() => binder.verify("s", metadata, other)).toThrow(SessionOwnerMismatchError);
    }
    const tampered = { ...metadata, "vmcp.identity.binding": "short" };
    expect(() => binder.verify("s", tampered, owner)).toThrow(SessionOwnerMismatchError);
  });

  it("the refusal's reason tells a binding made under another secret from another identity; the message is the same", () => {
    const here = new IdentityBinder("this replica's secret");
    const elsewhere = new IdentityBinder("another replica's secret");
    const metadata = elsewhere.metadataFor(owner);
    const reasons = [owner, { ...owner, subject: "bob" }, { ...owner, issuer: "x" }, undefined].map(
      (caller) => {
        try {
          here.verify("s", metadata, caller);
        } catch (error) {
          expect(error).toBeInstanceOf(SessionOwnerMismatchError);
          expect((error as Error).message).toBe('session "s" belongs to another identity');
          return (error as SessionOwnerMismatchError).reason;
        }
        return "admitted";
      },
    );
    expect(reasons).toEqual([
      "unverified-binding",
      "other-identity",
      "other-identity",
      "anonymous",
    ]);
    // Stored issuer and subject alone never admit: the binding must verify.
    expect(() => elsewhere.verify("s", metadata, owner)).not.toThrow();
  });

  it("a session without a binding is open to any caller", () => {
    expect(() => new IdentityBinder("k").verify("s", {}, undefined)).not.toThrow();
    expect(() => new IdentityBinder("k").verify("s", {}, owner)).not.toThrow();
  });

  it("refuses an empty secret", () => {
    expect(() => new IdentityBinder("")).toThrow(RangeError);
  });
});
