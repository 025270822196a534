/**
 * The page /statements/verify (public/statements/verify.html): whoever received a statement of
 * hours drops or pastes its bundle, and the browser checks it with src/audit/statement-verify.ts,
 * the code `npm run verify-statement` runs. Keys come from this site's
 * /.well-known/audit-log-keys, or are pasted in; nothing else is fetched and nothing is sent.
 *
 * Every text of the bundle reaches the page through textContent, never as HTML: the bundle is
 * the reader's input, and whoever made it may be hostile.
 */
import type { NoteKey } from "../src/audit/note.ts";
import type { Statement, Verification } from "../src/audit/statement.ts";
import {
  type StatementVerdict,
  type VerifiedStatement,
  verifyStatementText,
} from "../src/audit/statement-verify.ts";
import { Ed25519Unsupported, readVerifierKey } from "../src/audit/webcrypto.ts";

const KEYS_PATH = "/.well-known/audit-log-keys";

const VERIFICATION_TEXT: Record<Verification, string> = {
  approved: "Approved by the organisation",
  confirmed: "Confirmed by the mentor",
  not_required: "No approval needed",
};

function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`The page has no #${id}`);
  return found;
}

/** An element with text (never HTML) and children. */
function make(tag: string, text?: string, className?: string, ...children: Node[]): HTMLElement {
  const made = document.createElement(tag);
  if (text !== undefined) made.textContent = text;
  if (className !== undefined) made.className = className;
  made.append(...children);
  return made;
}

const numbers = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 2 });
const plural = (count: number, one: string, many: string) =>
  `${numbers.format(count)} ${count === 1 ? one : many}`;
const hours = (minutes: number) => plural(Number((minutes / 60).toFixed(2)), "hour", "hours");

function duration(minutes: number): string {
  const whole = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return [whole > 0 ? `${whole} h` : "", rest > 0 || whole === 0 ? `${rest} min` : ""]
    .filter(Boolean)
    .join(" ");
}

/** A calendar date of the statement (YYYY-MM-DD), written out: 1 January 2026. */
const longDate = (date: string) =>
  new Intl.DateTimeFormat("en-GB", { dateStyle: "long", timeZone: "UTC" }).format(
    new Date(`${date}T00:00:00Z`),
  );

/** The day an activity happened, in the statement's time zone. */
const dayOf = (instant: string, timeZone: string) =>
  new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeZone }).format(new Date(instant));

/** How a column's cells are set: words wrap, dates and figures stay whole (figures to the right). */
type Column = "text" | "date" | "number";

/**
 * A table; `stacked` ones show each row as a card on a phone (verify.css), with each cell
 * labelled by its column, and keep their table roles for a screen reader all the same.
 */
function table(
  caption: string,
  head: string[],
  rows: string[][],
  columns: readonly Column[],
  stacked = false,
): HTMLElement {
  const cell = (tag: "th" | "td", text: string, i: number) => {
    const made = make(tag, text, columns[i] === "text" ? undefined : columns[i]);
    made.setAttribute("role", tag === "th" ? "columnheader" : "cell");
    if (tag === "th") made.setAttribute("scope", "col");
    else made.dataset.label = head[i] ?? "";
    return made;
  };
  const row = (cells: HTMLElement[]) => {
    const made = make("tr", undefined, undefined, ...cells);
    made.setAttribute("role", "row");
    return made;
  };
  const group = (tag: "thead" | "tbody", ...children: HTMLElement[]) => {
    const made = make(tag, undefined, undefined, ...children);
    made.setAttribute("role", "rowgroup");
    return made;
  };
  const built = make(
    "table",
    undefined,
    stacked ? "stacked" : undefined,
    make("caption", caption),
    group("thead", row(head.map((text, i) => cell("th", text, i)))),
    group("tbody", ...rows.map((cells) => row(cells.map((text, i) => cell("td", text, i))))),
  );
  built.setAttribute("role", "table");
  // A table too wide for a phone scrolls inside its frame rather than widening the page.
  const frame = make("div", undefined, "table-frame", built);
  frame.tabIndex = 0;
  frame.setAttribute("role", "region");
  frame.setAttribute("aria-label", caption);
  return frame;
}

function facts(pairs: [string, string][]): HTMLElement {
  return make(
    "dl",
    undefined,
    "facts",
    ...pairs.flatMap(([term, value]) => [make("dt", term), make("dd", value)]),
  );
}

function verifiedPanel(verdict: VerifiedStatement): HTMLElement {
  const statement: Statement = verdict.statement;
  const { mentor, period, totals } = statement;
  const labels = new Map(totals.by_activity_type.map((row) => [row.activity_type, row.label]));
  const key = `${verdict.signed_by.name}+${verdict.signed_by.keyId}`;
  return make(
    "div",
    undefined,
    "panel verified",
    make("h2", "Verified", "verdict"),
    make(
      "p",
      `This statement was issued by the organisation ${statement.org_id}, is recorded in its audit log, and has not been changed since.`,
    ),
    facts([
      ["Mentor", `${mentor.name} (ID ${mentor.id})`],
      ["Period", `${longDate(period.from)} to ${longDate(period.to)} (${period.time_zone})`],
      [
        "Total",
        `${hours(totals.minutes)} (${plural(totals.minutes, "minute", "minutes")}) in ${plural(totals.activities, "activity", "activities")}`,
      ],
      [
        "Statement",
        `${statement.statement_id}, issued ${dayOf(statement.issued_at, period.time_zone)} by ${statement.issued_by}`,
      ],
    ]),
    table(
      "Hours by activity type",
      ["Activity type", "Activities", "Hours"],
      totals.by_activity_type.map((row) => [
        row.label,
        numbers.format(row.activities),
        numbers.format(Number((row.minutes / 60).toFixed(2))),
      ]),
      ["text", "number", "number"],
    ),
    table(
      "Activities",
      ["Date", "Activity type", "Duration", "Verification"],
      statement.entries.map((entry) => [
        dayOf(entry.occurred_at, period.time_zone),
        labels.get(entry.activity_type) ?? entry.activity_type,
        duration(entry.duration_minutes),
        VERIFICATION_TEXT[entry.verification],
      ]),
      ["date", "text", "number", "text"],
      true,
    ),
    make(
      "p",
      `Signed with the key ${key}. Recorded as entry ${verdict.log_entry_id} of the log ${statement.origin}, which held ${plural(verdict.tree_size, "entry", "entries")} when it was signed.`,
      "fine-print",
    ),
  );
}

function failedPanel(reason: string): HTMLElement {
  return make(
    "div",
    undefined,
    "panel failed",
    make("h2", "Not verified", "verdict"),
    make("p", reason, "reason"),
    make(
      "p",
      "Do not rely on this statement. Ask the person who gave it to you for the file exactly as the organisation issued it, or ask the organisation.",
    ),
  );
}

function show(panel: HTMLElement): void {
  const result = element("result", HTMLElement);
  result.replaceChildren(panel);
  // Moves a screen reader and the keyboard to the answer, which may be below the fold on a phone.
  result.focus();
}

function render(verdict: StatementVerdict): HTMLElement {
  return verdict.ok ? verifiedPanel(verdict) : failedPanel(verdict.reason);
}

/** The keys this site publishes; none when they cannot be fetched (offline, or a copy of the page). */
async function publishedKeys(): Promise<NoteKey[]> {
  try {
    const res = await fetch(KEYS_PATH, { headers: { Accept: "application/json" } });
    if (!res.ok) return [];
    const body = (await res.json()) as { keys?: { verifier_key?: unknown }[] };
    const read = await Promise.all(
      (body.keys ?? []).map((key) =>
        typeof key.verifier_key === "string" ? readVerifierKey(key.verifier_key).catch(() => null) : null,
      ),
    );
    return read.filter((key): key is NoteKey => key !== null);
  } catch {
    return [];
  }
}

function main(): void {
  const form = element("check", HTMLFormElement);
  const file = element("file", HTMLInputElement);
  const drop = element("drop", HTMLElement);
  const text = element("bundle", HTMLTextAreaElement);
  const keyInput = element("key", HTMLInputElement);
  const keyError = element("key-error", HTMLElement);
  const keyStatus = element("key-status", HTMLElement);
  const offline = element("offline", HTMLDetailsElement);

  const published = publishedKeys().then((keys) => {
    if (keys.length > 0) {
      keyStatus.textContent = `The organisation's ${keys.length === 1 ? "key" : "keys"} came from this website: ${keys.map((k) => `${k.name}+${k.keyId}`).join(", ")}.`;
    } else {
      keyStatus.textContent =
        "This website's keys could not be loaded. Paste the organisation's public key below to check the statement.";
      offline.open = true;
    }
    return keys;
  });

  const check = async () => {
    keyError.textContent = "";
    keyInput.removeAttribute("aria-invalid");
    const keys = [...(await published)];
    const pasted = keyInput.value.trim();
    if (pasted !== "") {
      try {
        keys.push(await readVerifierKey(pasted));
      } catch (err) {
        keyInput.setAttribute("aria-invalid", "true");
        keyError.textContent = `This is not a public key: ${err instanceof Error ? err.message : String(err)}.`;
        offline.open = true;
        keyInput.focus();
        return;
      }
    }
    if (text.value.trim() === "") {
      show(failedPanel("There is nothing to check yet: choose the statement's file, or paste its text."));
      return;
    }
    try {
      show(render(await verifyStatementText(text.value, keys)));
    } catch (err) {
      if (!(err instanceof Ed25519Unsupported)) throw err;
      show(
        failedPanel(
          "This browser cannot check signatures. Open this page in a current version of Chrome, Edge, Firefox or Safari.",
        ),
      );
    }
  };

  const load = async (chosen: File | undefined) => {
    if (chosen === undefined) return;
    text.value = await chosen.text();
    await check();
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void check();
  });
  file.addEventListener("change", () => void load(file.files?.[0]));
  // A file dropped anywhere is taken as the statement, rather than opened in place of the page.
  for (const name of ["dragenter", "dragover"] as const) {
    document.addEventListener(name, (event) => {
      event.preventDefault();
      drop.classList.add("dragging");
    });
  }
  document.addEventListener("dragleave", (event) => {
    if (event.relatedTarget === null) drop.classList.remove("dragging");
  });
  document.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("dragging");
    void load(event.dataTransfer?.files[0]);
  });
}

main();
