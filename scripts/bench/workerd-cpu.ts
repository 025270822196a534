// CPU time of the workerd processes that serve the bench, read from /proc (Linux only): the
// nanoseconds each thread has run (schedstat), user and system time alike. The load generator
// runs in this Node process, so none of its own CPU is in these figures.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

interface Stat {
  pid: number;
  comm: string;
  ppid: number;
  /** utime + stime of all the process's threads, in milliseconds (10 ms ticks). */
  cpuMs: number;
  /** When the process started, in ticks since boot. */
  started: number;
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
  // After comm: state(0) ppid(1) … utime(11) stime(12), fields 14 and 15 of proc(5); USER_HZ is 100.
  return {
    pid,
    comm,
    ppid: Number(fields[1]),
    cpuMs: (Number(fields[11]) + Number(fields[12])) * 10,
    started: Number(fields[19]),
  };
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

/** Nanoseconds on CPU of each thread of these processes so far, by thread id (/proc/<pid>/task/<tid>/schedstat). */
export type CpuSnapshot = ReadonlyMap<string, number>;

export function cpuSnapshot(pids: readonly number[]): CpuSnapshot {
  const threads = new Map<string, number>();
  for (const pid of pids) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      // The process has ended: measure() sees the workerd processes change and measures again.
      continue;
    }
    for (const tid of tids) {
      try {
        // The first field is the time the thread has run, in nanoseconds.
        const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
        threads.set(`${pid}/${tid}`, ns);
      } catch {
        // The thread ended between the listing and the read; its time is no longer anywhere.
      }
    }
  }
  return threads;
}

/**
 * CPU milliseconds used between two snapshots, to the nanosecond (utime + stime in
 * /proc/<pid>/stat count 10 ms ticks). A thread that ended in between loses its last slice;
 * workerd keeps its threads for its lifetime.
 */
export function cpuMsBetween(before: CpuSnapshot, after: CpuSnapshot, pids?: readonly number[]): number {
  let ns = 0;
  for (const [thread, end] of after) {
    if (pids && !pids.some((pid) => thread.startsWith(`${pid}/`))) continue;
    ns += end - (before.get(thread) ?? 0);
  }
  return ns / 1e6;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until the processes stop using CPU (work left to ctx.waitUntil, writes still being
 * flushed), at most `limitMs`, and answers a snapshot then. Quiet is under 2 ms of CPU in a
 * 200 ms window.
 */
export async function settledSnapshot(pids: readonly number[], limitMs = 5000): Promise<CpuSnapshot> {
  let last = cpuSnapshot(pids);
  for (let waited = 0; waited < limitMs; waited += 200) {
    await sleep(200);
    const now = cpuSnapshot(pids);
    if (cpuMsBetween(last, now) < 2) return now;
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

/** Inodes of the sockets listening on this TCP port (/proc/net/tcp and tcp6). */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let lines: string[];
    try {
      lines = readFileSync(table, "utf8").trim().split("\n").slice(1);
    } catch {
      continue;
    }
    for (const line of lines) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode …
      const [, local, , state, , , , , , inode] = line.trim().split(/\s+/);
      if (state === "0A" && local && inode && Number.parseInt(local.split(":")[1] ?? "", 16) === port) {
        inodes.add(inode);
      }
    }
  }
  return inodes;
}

/**
 * The workerd process started by this process that listens on `port`: the one a miniflare
 * instance serves from. Should two hold the socket (one taking over from the other), the newest.
 */
export function workerdListeningOn(port: number): number {
  const inodes = listeningInodes(port);
  const holders: Stat[] = [];
  for (const pid of workerdPids()) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    const holds = fds.some((fd) => {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        return Boolean(match?.[1] && inodes.has(match[1]));
      } catch {
        return false; // The descriptor closed between the listing and the read.
      }
    });
    const s = holds ? stat(pid) : null;
    if (s) holders.push(s);
  }
  const newest = holders.sort((a, b) => b.started - a.started)[0];
  if (!newest) throw new Error(`no workerd process of this script listens on port ${port}`);
  return newest.pid;
}

/** CPU milliseconds the whole machine has been busy so far, all cores (/proc/stat, 10 ms ticks; steal counts as busy). */
export function machineBusyMs(): number {
  const [line] = readFileSync("/proc/stat", "utf8").split("\n");
  // cpu user nice system idle iowait irq softirq steal …
  const [, user, nice, system, , , irq, softirq, steal] = (line ?? "").trim().split(/\s+/).map(Number);
  const ticks = [user, nice, system, irq, softirq, steal].reduce<number>((sum, t) => sum + (t ?? 0), 0);
  return ticks * 10;
}

/** CPU milliseconds of this process's descendants (wrangler, workerd, …) so far, from their utime + stime. */
export function descendantsCpuMs(root: number = process.pid): number {
  const stats = allProcesses();
  const children = new Map<number, Stat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  let total = 0;
  const walk = (pid: number): void => {
    for (const child of children.get(pid) ?? []) {
      total += child.cpuMs;
      walk(child.pid);
    }
  };
  walk(root);
  return total;
}
