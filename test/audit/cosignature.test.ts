import { createHash, createPublicKey, generateKeyPairSync, sign, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  type CosignerKey,
  cosignedMessage,
  cosignerKeyId,
  cosignerVerifierKey,
  findCosignature,
  formatCosignatureLine,
  parseCosignatureLine,
  parseCosignerVerifierKey,
  verifyCosignature,
} from "../../src/audit/cosignature";
import { type Cosigner, cosignerOf, signCosignature } from "../../src/audit/cosigner";
import { keyIdOf, signNote, verifierKey } from "../../src/audit/signed-note";

const newKey = () =>
  generateKeyPairSync("ed25519").privateKey.export({ format: "der", type: "pkcs8" }).toString("base64");

const WITNESS = cosignerOf("witness.example/w1", newKey());
const TEXT = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
const TIME = 1679315147;

const publicOf = (cosigner: Cosigner): CosignerKey => ({
  name: cosigner.name,
  keyId: cosigner.keyId,
  publicKey: cosigner.publicKey,
});

/** The line's bytes: key ID ‖ timestamp ‖ signature. */
const lineBytes = (line: string) => Buffer.from(line.trim().split(" ")[2] ?? "", "base64");

describe("cosignature/v1, as c2sp.org/tlog-cosignature writes it", () => {
  it("derives the key ID from name ‖ 0x0A ‖ 0x04 ‖ public key, not the log keys' 0x01", async () => {
    const expected = createHash("sha256")
      .update(Buffer.concat([Buffer.from("witness.example/w1\n"), Buffer.from([0x04]), WITNESS.publicKey]))
      .digest()
      .subarray(0, 4)
      .toString("hex");
    expect(WITNESS.keyId).toBe(expected);
    expect(await cosignerKeyId(WITNESS.name, WITNESS.publicKey)).toBe(expected);
    expect(WITNESS.keyId).not.toBe(keyIdOf(WITNESS.name, WITNESS.publicKey));
  });

  it("signs `cosignature/v1`, the time line and the note text, and lays out key ID ‖ u64 timestamp ‖ signature", () => {
    const line = signCosignature(TEXT, WITNESS, TIME);
    expect(line).toMatch(/^\u2014 witness\.example\/w1 [A-Za-z0-9+/]+=*\n$/u);
    const bytes = lineBytes(line);
    expect(bytes).toHaveLength(4 + 8 + 64);
    expect(bytes.subarray(0, 4).toString("hex")).toBe(WITNESS.keyId);
    expect(bytes.readBigUInt64BE(4)).toBe(BigInt(TIME));
    const message = `cosignature/v1\ntime ${TIME}\n${TEXT}`;
    expect(cosignedMessage(TEXT, TIME)).toBe(message);
    const publicKey = createPublicKey(WITNESS.privateKey);
    expect(verify(null, Buffer.from(message), publicKey, bytes.subarray(12))).toBe(true);
  });

  it("verifies what it signs and answers the timestamp (round trip)", async () => {
    const line = signCosignature(TEXT, WITNESS, TIME);
    expect(await verifyCosignature(TEXT, line, publicOf(WITNESS))).toBe(TIME);
    expect(parseCosignatureLine(line)).toEqual({
      name: WITNESS.name,
      keyId: WITNESS.keyId,
      timestamp: TIME,
      signature: new Uint8Array(lineBytes(line).subarray(12)),
    });
  });

  it("refuses a tampered cosignature: another text, another time, a flipped bit", async () => {
    const key = publicOf(WITNESS);
    const line = signCosignature(TEXT, WITNESS, TIME);
    expect(await verifyCosignature(TEXT.replace("20852163", "20852164"), line, key)).toBeNull();
    const parsed = parseCosignatureLine(line);
    if (parsed === null) throw new Error("unreadable line");
    expect(
      await verifyCosignature(TEXT, formatCosignatureLine({ ...parsed, timestamp: TIME + 1 }), key),
    ).toBeNull();
    const flipped = Uint8Array.from(parsed.signature);
    flipped[10] = (flipped[10] ?? 0) ^ 0x01;
    expect(
      await verifyCosignature(TEXT, formatCosignatureLine({ ...parsed, signature: flipped }), key),
    ).toBeNull();
  });

  it("refuses another key's cosignature, even under the same name", async () => {
    const impostor = cosignerOf(WITNESS.name, newKey());
    const line = signCosignature(TEXT, impostor, TIME);
    expect(await verifyCosignature(TEXT, line, publicOf(WITNESS))).toBeNull();
    // The right key ID over another key's signature.
    const parsed = parseCosignatureLine(line);
    if (parsed === null) throw new Error("unreadable line");
    const claimed = formatCosignatureLine({ ...parsed, keyId: WITNESS.keyId });
    expect(await verifyCosignature(TEXT, claimed, publicOf(WITNESS))).toBeNull();
  });

  it("never signs, and never accepts, a cosignature without a timestamp", async () => {
    expect(() => signCosignature(TEXT, WITNESS, 0)).toThrow(RangeError);
    const signature = new Uint8Array(sign(null, Buffer.from(cosignedMessage(TEXT, 0)), WITNESS.privateKey));
    const untimed = formatCosignatureLine({
      name: WITNESS.name,
      keyId: WITNESS.keyId,
      timestamp: 0,
      signature,
    });
    expect(await verifyCosignature(TEXT, untimed, publicOf(WITNESS))).toBeNull();
  });

  it("does not read a log's own signature line as a cosignature", () => {
    const note = signNote(TEXT, WITNESS.name, WITNESS.keyId, WITNESS.privateKey);
    const logLine = note.slice(TEXT.length + 1);
    expect(parseCosignatureLine(logLine)).toBeNull();
  });
});

describe("findCosignature", () => {
  it("finds the witness's line among others, ignoring lines of keys it was not given", async () => {
    const other = cosignerOf("witness.example/w2", newKey());
    const mine = signCosignature(TEXT, WITNESS, TIME);
    const lines = `${signCosignature(TEXT, other, TIME)}\u2014 example.com/behind-the-sofa AAAAAAAA\n${mine}`;
    expect(await findCosignature(lines, TEXT, publicOf(WITNESS))).toEqual({ line: mine, timestamp: TIME });
    expect(await findCosignature(signCosignature(TEXT, other, TIME), TEXT, publicOf(WITNESS))).toBeNull();
  });

  it("refuses the whole answer when a line of the witness's key does not verify", async () => {
    const good = signCosignature(TEXT, WITNESS, TIME);
    const bad = signCosignature(TEXT.replace("20852163", "1"), WITNESS, TIME);
    expect(await findCosignature(`${good}${bad}`, TEXT, publicOf(WITNESS))).toBeNull();
    // A line with the witness's name and key ID, of the wrong length.
    const short = `\u2014 ${WITNESS.name} ${Buffer.from(WITNESS.keyId, "hex").toString("base64")}\n`;
    expect(await findCosignature(`${good}${short}`, TEXT, publicOf(WITNESS))).toBeNull();
  });
});

describe("a witness's verifier key", () => {
  it("reads <name>+<key ID>+base64(0x04 ‖ key), and back", async () => {
    const vkey = cosignerVerifierKey(WITNESS);
    expect(vkey).toBe(
      `${WITNESS.name}+${WITNESS.keyId}+${Buffer.from([0x04, ...WITNESS.publicKey]).toString("base64")}`,
    );
    expect(await parseCosignerVerifierKey(` ${vkey}\n`)).toEqual(publicOf(WITNESS));
  });

  it("refuses a log's verifier key, a wrong key ID, and text that is not a key", async () => {
    const logKey = verifierKey({
      name: WITNESS.name,
      keyId: keyIdOf(WITNESS.name, WITNESS.publicKey),
      publicKey: WITNESS.publicKey,
    });
    await expect(parseCosignerVerifierKey(logKey)).rejects.toThrow(/signature type 0x01/);
    const vkey = cosignerVerifierKey(WITNESS);
    const wrongId = vkey.replace(WITNESS.keyId, WITNESS.keyId === "00000000" ? "00000001" : "00000000");
    await expect(parseCosignerVerifierKey(wrongId)).rejects.toThrow(/ID does not match/);
    for (const text of [
      "",
      "name",
      "name+1234",
      "na me+12345678+BA==",
      `${WITNESS.name}+${WITNESS.keyId}+BAAA`,
    ]) {
      await expect(parseCosignerVerifierKey(text), text).rejects.toThrow();
    }
  });
});
