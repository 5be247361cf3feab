/**
 * CPU time of the processes behind one `wrangler dev` worker, read from /proc (Linux only): where
 * a request's milliseconds go. `wrangler dev` runs two workerd processes side by side: a proxy
 * that listens on the port and forwards every request, and the worker's own, which runs the
 * worker, its Durable Objects and the local D1 (a SQLite database behind an object of its own).
 */
import { readdirSync, readFileSync } from "node:fs";

export interface WorkerProcesses {
	/** The workerd that runs the worker, its Durable Objects and the local D1. */
	worker: number;
	/** wrangler's proxy workerd in front of it. */
	proxy: number;
}

/** USER_HZ is 100 on every Linux this runs on (sysconf(_SC_CLK_TCK)). */
const TICK_MS = 10;

/** proc(5) stat fields after the command name in parentheses (state is [0], ppid [1], utime [11], stime [12]); empty when unreadable. */
const statFields = (pid: number | string): string[] => {
	try {
		return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
	} catch {
		return [];
	}
};

/** The user and system CPU of one process so far, in milliseconds; NaN when it cannot be read. */
export function cpuMilliseconds(pid: number): number {
	const fields = statFields(pid);
	return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

const commandLine = (pid: string) => {
	try {
		return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
	} catch {
		return [];
	}
};
const parentOf = (pid: string) => statFields(pid)[1] ?? null;

/** The two workerd processes of the `wrangler dev` listening on `port`, or null where /proc says nothing (not Linux). */
export function workerProcesses(port: number): WorkerProcesses | null {
	let pids: string[];
	try {
		pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
	} catch {
		return null;
	}
	const isWorkerd = (pid: string) => commandLine(pid)[0]?.endsWith("/workerd") ?? false;
	const proxy = pids.find((pid) => isWorkerd(pid) && commandLine(pid).includes(`--socket-addr=entry=127.0.0.1:${port}`));
	if (!proxy) return null;
	const wrangler = parentOf(proxy);
	const worker = pids.find((pid) => pid !== proxy && isWorkerd(pid) && parentOf(pid) === wrangler);
	return worker ? { worker: Number(worker), proxy: Number(proxy) } : null;
}
