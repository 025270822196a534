import { describe, expect, it } from "vitest";
import {
  base64Decode,
  encodeAddCheckpoint,
  encodeSizeBody,
  MAX_PROOF_LINES,
  parseAddCheckpoint,
  parseSizeBody,
} from "../../src/audit/tlog-witness";

const NOTE =
  "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";
const PROOF = [
  "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=",
  "jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=",
  "5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=",
  "/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=",
];
/** The request body of c2sp.org/tlog-witness's example, with one of its signatures. */
const EXAMPLE = `old 20852014\n${PROOF.join("\n")}\n\n${NOTE}`;

const hash = (fill: number) => new Uint8Array(32).fill(fill);

describe("the add-checkpoint request body", () => {
  it("reads the specification's example", () => {
    const parsed = parseAddCheckpoint(EXAMPLE);
    expect(parsed).toEqual({
      oldSize: 20852014,
      proof: PROOF.map((line) => base64Decode(line)),
      checkpoint: NOTE,
    });
  });

  it("writes what it reads, and the specification's example byte for byte", () => {
    const parsed = parseAddCheckpoint(EXAMPLE);
    if ("error" in parsed) throw new Error(parsed.error);
    expect(encodeAddCheckpoint(parsed)).toBe(EXAMPLE);
    const fresh = { oldSize: 0, proof: [], checkpoint: NOTE };
    expect(encodeAddCheckpoint(fresh)).toBe(`old 0\n\n${NOTE}`);
    expect(parseAddCheckpoint(encodeAddCheckpoint(fresh))).toEqual(fresh);
    const full = {
      oldSize: 7,
      proof: Array.from({ length: MAX_PROOF_LINES }, (_, i) => hash(i)),
      checkpoint: NOTE,
    };
    expect(parseAddCheckpoint(encodeAddCheckpoint(full))).toEqual(full);
  });

  it("says what is malformed", () => {
    const cases: [string, RegExp][] = [
      ["", /begin with the line `old <size>`/],
      [NOTE, /begin with the line `old <size>`/],
      [`old 01\n\n${NOTE}`, /begin with/],
      [`old -1\n\n${NOTE}`, /begin with/],
      [`old 1.5\n\n${NOTE}`, /begin with/],
      [`old  1\n\n${NOTE}`, /begin with/],
      [`old 99999999999999999\n\n${NOTE}`, /begin with/],
      ["old 5", /begin with/],
      [`old 5\n${PROOF[0]}`, /blank line and the checkpoint/],
      [`old 5\n${PROOF[0]}\n`, /blank line and the checkpoint/],
      [`old 5\n${PROOF[0]}\n\n`, /checkpoint is missing/],
      [`old 5\nAAAA\n\n${NOTE}`, /Proof line 1 is not the base64 of a 32-byte hash/],
      [`old 5\n${PROOF[0]}\n${PROOF[1]?.replace("=", "")}\n\n${NOTE}`, /Proof line 2/],
      // Non-zero padding bits: another text for the same bytes.
      [`old 5\n${PROOF[0]?.replace("w=", "x=")}\n\n${NOTE}`, /Proof line 1/],
      [`old 5\n${`${PROOF[0]}\n`.repeat(MAX_PROOF_LINES + 1)}\n${NOTE}`, /at most 63 lines/],
    ];
    for (const [body, error] of cases) {
      const parsed = parseAddCheckpoint(body);
      expect("error" in parsed ? parsed.error : "parsed", JSON.stringify(body)).toMatch(error);
    }
  });

  it("refuses to write what the protocol cannot carry", () => {
    expect(() => encodeAddCheckpoint({ oldSize: -1, proof: [], checkpoint: NOTE })).toThrow(RangeError);
    expect(() => encodeAddCheckpoint({ oldSize: 1.5, proof: [], checkpoint: NOTE })).toThrow(RangeError);
    const long = Array.from({ length: MAX_PROOF_LINES + 1 }, () => hash(1));
    expect(() => encodeAddCheckpoint({ oldSize: 1, proof: long, checkpoint: NOTE })).toThrow(RangeError);
  });
});

describe("the 409 body", () => {
  it("is the size in decimal and a newline", () => {
    expect(encodeSizeBody(20852014)).toBe("20852014\n");
    expect(parseSizeBody("20852014\n")).toBe(20852014);
    expect(parseSizeBody("0\n")).toBe(0);
    for (const body of ["", "\n", "12", "012\n", "12\n\n", "-1\n", "twelve\n"])
      expect(parseSizeBody(body)).toBeNull();
  });
});
