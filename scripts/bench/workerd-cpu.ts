// CPU time of the workerd processes that serve the bench, read from /proc (Linux only). The
// load generator runs in this Node process, so none of its own CPU is in these figures.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

interface Stat {
  pid: number;
  comm: string;
  ppid: number;
  /** utime + stime of every thread of the process, in milliseconds. */
  cpuMs: number;
}

/** /proc/<pid>/stat of one process, or null when it is gone. */
function stat(pid: number): Stat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // comm is in brackets and may hold spaces; the fields after it are space-separated.
  const close = text.lastIndexOf(")");
  const comm = text.slice(text.indexOf("(") + 1, close);
  const fields = text.slice(close + 2).split(" ");
  // After comm: state(0) ppid(1) … utime(11) stime(12), fields 14 and 15 of proc(5).
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { pid, comm, ppid: Number(fields[1]), cpuMs: (ticks * 1000) / TICKS_PER_SECOND };
}

function allProcesses(): Stat[] {
  const stats: Stat[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const s = stat(Number(entry));
    if (s) stats.push(s);
  }
  return stats;
}

/** The workerd processes started by `root` (this process by default) or by any of its descendants. */
export function workerdPids(root: number = process.pid): number[] {
  const stats = allProcesses();
  const children = new Map<number, Stat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const found: number[] = [];
  const walk = (pid: number): void => {
    for (const child of children.get(pid) ?? []) {
      if (child.comm === "workerd") found.push(child.pid);
      walk(child.pid);
    }
  };
  walk(root);
  return found;
}

/** CPU milliseconds (user + system, all threads) that these processes have used so far. */
export function cpuMs(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    const s = stat(pid);
    if (!s) throw new Error(`workerd process ${pid} has gone away during the bench`);
    total += s.cpuMs;
  }
  return total;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until the processes stop using CPU (work left to ctx.waitUntil, writes still being
 * flushed), at most `limitMs`, and answers their CPU milliseconds then. Quiet is one tick
 * or less in a 200 ms window.
 */
export async function settledCpuMs(pids: readonly number[], limitMs = 5000): Promise<number> {
  const tickMs = 1000 / TICKS_PER_SECOND;
  let last = cpuMs(pids);
  for (let waited = 0; waited < limitMs; waited += 200) {
    await sleep(200);
    const now = cpuMs(pids);
    if (now - last <= tickMs) return now;
    last = now;
  }
  return last;
}

/** Whether the process has a file open under `dir` (the workerd that runs the user Worker holds its D1 files). */
export function holdsFileUnder(pid: number, dir: string): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  return fds.some((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(dir);
    } catch {
      return false;
    }
  });
}
