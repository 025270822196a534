import { describe, expect, it } from "vitest";
import { decodeBase64, decodeHex, encodeBase64, encodeHex } from "../../src/audit/bytes";

describe("hex and base64 without Buffer", () => {
  it("encode as Node's Buffer does", () => {
    for (const length of [0, 1, 2, 3, 4, 31, 32, 33, 68]) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 37 + 11) % 256);
      expect(encodeHex(bytes)).toBe(Buffer.from(bytes).toString("hex"));
      expect(encodeBase64(bytes)).toBe(Buffer.from(bytes).toString("base64"));
      expect(decodeHex(encodeHex(bytes))).toEqual(bytes);
      expect(decodeBase64(encodeBase64(bytes))).toEqual(bytes);
    }
  });

  it("read only the text an encoder writes", () => {
    expect(decodeHex("0A")).toBeNull();
    expect(decodeHex("abc")).toBeNull();
    expect(decodeBase64("AAAA=AAA")).toBeNull();
    expect(decodeBase64("AAA")).toBeNull();
    expect(decodeBase64("AA A")).toBeNull();
    // "AB==" sets bits the one byte it encodes does not use; "AA==" is that byte's encoding.
    expect(decodeBase64("AB==")).toBeNull();
    expect(decodeBase64("AA==")).toEqual(Uint8Array.of(0));
  });
});
