import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportJWK, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { bearerTokenOf } from "../dist/identity/identity-verifier.js";
import { JwtVerifier } from "../dist/identity/jwt-verifier.js";
import { StaticTokenVerifier } from "../dist/identity/static-token-verifier.js";

const secret = "a-test-secret-that-is-at-least-32-characters";

function hsToken(claims: Record<string, unknown>, key = secret, expiresIn = "5m"): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256" })
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(key));
}

describe("bearerTokenOf", () => {
  it("extracts the token, flags a malformed header as empty, and absent as undefined", () => {
    expect(bearerTokenOf("Bearer abc")).toBe("abc");
    expect(bearerTokenOf("bearer abc")).toBe("abc");
    expect(bearerTokenOf("Basic abc")).toBe("");
    expect(bearerTokenOf(undefined)).toBeUndefined();
  });
});

describe("StaticTokenVerifier", () => {
  const verifier = new StaticTokenVerifier({ t1: { issuer: "static", subject: "alice" } });

  it("maps a known token to its identity", async () => {
    await expect(verifier.verify("t1")).resolves.toEqual({ issuer: "static", subject: "alice" });
  });

  it("refuses a missing or unknown token with VMCP_UNAUTHENTICATED", async () => {
    await expect(verifier.verify(undefined)).rejects.toMatchObject({
      code: "VMCP_UNAUTHENTICATED",
    });
    await expect(verifier.verify("t2")).rejects.toMatchObject({ code: "VMCP_UNAUTHENTICATED" });
  });
});

describe("JwtVerifier", () => {
  it("accepts a valid HS256 token and returns {iss, sub}", async () => {
    const verifier = new JwtVerifier({ secret, issuer: "https://idp.test" });
    const token = await hsToken({ iss: "https://idp.test", sub: "alice" });
    await expect(verifier.verify(token)).resolves.toEqual({
      issuer: "https://idp.test",
      subject: "alice",
    });
  });

  it("refuses a wrong signature, a wrong issuer, an expired token and a token without sub", async () => {
    const verifier = new JwtVerifier({ secret, issuer: "https://idp.test" });
    const cases = [
      await hsToken(
        { iss: "https://idp.test", sub: "a" },
        "another-secret-that-is-also-32-chars-long",
      ),
      await hsToken({ iss: "https://evil.test", sub: "a" }),
      await hsToken({ iss: "https://idp.test", sub: "a" }, secret, "-10m"),
      await hsToken({ iss: "https://idp.test" }),
      "not.a.jwt",
    ];
    for (const token of cases) {
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: "VMCP_UNAUTHENTICATED" });
    }
  });

  it("verifies RS256 tokens against a JWKS file", async () => {
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" };
    const dir = await mkdtemp(join(tmpdir(), "vmcp-jwks-"));
    const path = join(dir, "jwks.json");
    await writeFile(path, JSON.stringify({ keys: [jwk] }));
    const verifier = await JwtVerifier.fromJwksFile(path, { audience: "vmcp" });
    const token = await new SignJWT({ iss: "https://idp.test", sub: "bob", aud: "vmcp" })
      .setProtectedHeader({ alg: "RS256", kid: "k1" })
      .setExpirationTime("5m")
      .sign(privateKey);
    await expect(verifier.verify(token)).resolves.toEqual({
      issuer: "https://idp.test",
      subject: "bob",
    });
    await expect(JwtVerifier.fromJwksFile(join(dir, "missing.json"), {})).rejects.toMatchObject({
      field: "identity.jwksFile",
    });
  });
});
