import { createHmac, hkdfSync, randomBytes } from "node:crypto";

/** Bytes of each key derived from the binding secret: 32 (HMAC-SHA256's block-sized key). */
const DerivedKeyBytes = 32;

/** Bytes of the tag that binds a request state to its caller and request: 16 (128 bits). */
export const RequestStateBindTagBytes = 16;

/** What the derived keys are for (HKDF `info`); a new purpose gets a new label, never a shared key. */
const Purpose = {
  mac: "vmcp.request-state.v1.mac",
  bind: "vmcp.request-state.v1.bind",
  ledgerId: "vmcp.request-state.v1.ledger-id",
} as const;

/** The prefix of every single-use record ID (see {@link RequestStateKey.ledgerRecordId}). */
export const RequestStateRecordIdPrefix = "request-state.";

/**
 * The keys of the gateway's MRTR `requestState`, derived once from the binding secret with
 * HKDF-SHA256 under a purpose label each, so none of them equals the identity-binding key (the raw
 * secret), the cursor key, or each other. Every replica that shares the binding secret derives the
 * same keys and accepts every other replica's states. The key bytes never leave this object: it
 * only computes MACs with them.
 */
export class RequestStateKey {
  readonly #mac: Buffer;
  readonly #bind: Buffer;
  readonly #ledgerId: Buffer;

  /**
   * @param secret the binding secret (`bindingSecret` in the gateway configuration; a string as
   *   UTF-8, or bytes). Default: 32 random bytes, so states hold on this process only (one replica).
   * @throws {RangeError} for an empty secret.
   */
  constructor(secret: string | Uint8Array = randomBytes(32)) {
    const ikm = typeof secret === "string" ? Buffer.from(secret, "utf8") : Buffer.from(secret);
    if (ikm.length === 0) throw new RangeError("the request state secret is empty");
    const derive = (info: string) =>
      Buffer.from(hkdfSync("sha256", ikm, Buffer.alloc(0), info, DerivedKeyBytes));
    this.#mac = derive(Purpose.mac);
    this.#bind = derive(Purpose.bind);
    this.#ledgerId = derive(Purpose.ledgerId);
  }

  /** The base64url HMAC-SHA256 (43 characters) of `text` under the state's MAC key. */
  mac(text: string): string {
    return createHmac("sha256", this.#mac).update(text).digest("base64url");
  }

  /**
   * The {@link RequestStateBindTagBytes}-byte tag of a binding text (caller and request) under
   * the bind key, so a state names its caller without carrying the issuer and subject in clear.
   */
  bindTag(text: string): Buffer {
    return createHmac("sha256", this.#bind)
      .update(text)
      .digest()
      .subarray(0, RequestStateBindTagBytes);
  }

  /**
   * The storage record ID that marks `nonce` used: {@link RequestStateRecordIdPrefix} and the
   * base64url HMAC-SHA256 of the nonce (57 visible ASCII characters, a valid session ID). Keyed,
   * so a client that reads the nonce in its state still cannot name the record (and so cannot
   * load, touch or delete it as if it were a session through `Mcp-Session-Id`).
   */
  ledgerRecordId(nonce: string): string {
    const mac = createHmac("sha256", this.#ledgerId).update(nonce).digest("base64url");
    return `${RequestStateRecordIdPrefix}${mac}`;
  }
}
