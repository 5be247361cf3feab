/**
 * A V8 CPU profile of the worker's isolate while a phase runs, taken over wrangler's inspector
 * (Chrome DevTools Protocol, `Profiler` domain): where the worker's own JavaScript spends its
 * time, which /proc's per-process totals cannot say. The worker's Durable Objects run in the same
 * isolate under `wrangler dev`, so their work is in it too; the local D1's SQLite is not JavaScript
 * and shows as time outside any function the profile names.
 */
interface ProfileNode {
	id: number;
	callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
	children?: number[];
}
export interface CpuProfile {
	nodes: ProfileNode[];
	startTime: number;
	endTime: number;
	samples: number[];
	timeDeltas: number[];
}

async function inspectorSocket(inspectorPort: number): Promise<WebSocket> {
	const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as { webSocketDebuggerUrl?: string; title?: string }[];
	const target = targets.find((t) => t.webSocketDebuggerUrl);
	if (!target?.webSocketDebuggerUrl) throw new Error(`no inspector target on port ${inspectorPort}`);
	// wrangler's inspector proxy refuses an upgrade without an Origin (undici's WebSocket takes headers).
	const socket = new WebSocket(target.webSocketDebuggerUrl, { headers: { Origin: `http://127.0.0.1:${inspectorPort}` } } as unknown as string[]);
	await new Promise((resolve, reject) => {
		socket.addEventListener("open", resolve, { once: true });
		socket.addEventListener("error", reject, { once: true });
	});
	return socket;
}

/** Profiles the worker's isolate while `run` runs; the profile and what `run` gave back. */
export async function profileWhile<T>(inspectorPort: number, run: () => Promise<T>): Promise<{ profile: CpuProfile; result: T }> {
	const socket = await inspectorSocket(inspectorPort);
	let nextId = 1;
	const pending = new Map<number, (value: unknown) => void>();
	socket.addEventListener("message", (event) => {
		// The proxy passes on its own exchanges with the isolate too (ids it picks, far above ours), and
		// answers ours under our ids.
		const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: unknown };
		if (message.id !== undefined) pending.get(message.id)?.(message.error ? Promise.reject(new Error(JSON.stringify(message.error))) : message.result);
	});
	const send = (method: string, params: Record<string, unknown> = {}) =>
		new Promise<unknown>((resolve) => {
			const id = nextId++;
			pending.set(id, resolve);
			socket.send(JSON.stringify({ id, method, params }));
		});
	try {
		await send("Profiler.enable");
		await send("Profiler.setSamplingInterval", { interval: 200 });
		await send("Profiler.start");
		const result = await run();
		const { profile } = (await send("Profiler.stop")) as { profile: CpuProfile };
		return { profile, result };
	} finally {
		socket.close();
	}
}

export interface FunctionTime {
	name: string;
	selfMs: number;
	totalMs: number;
}

/** Self and total time per function (name and place), heaviest self time first. */
export function functionTimes(profile: CpuProfile): { functions: FunctionTime[]; profiledMs: number } {
	const byId = new Map(profile.nodes.map((node) => [node.id, node]));
	const parent = new Map<number, number>();
	for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
	const selfUs = new Map<number, number>();
	for (const [i, sample] of profile.samples.entries()) selfUs.set(sample, (selfUs.get(sample) ?? 0) + (profile.timeDeltas[i] ?? 0));
	const keyOf = (node: ProfileNode) => {
		const { functionName, url, lineNumber } = node.callFrame;
		const file = url.split("/").slice(-2).join("/");
		return `${functionName || "(anonymous)"} ${file}${file ? `:${lineNumber + 1}` : ""}`;
	};
	const self = new Map<string, number>();
	const total = new Map<string, number>();
	for (const [id, us] of selfUs) {
		const node = byId.get(id);
		if (!node) continue;
		self.set(keyOf(node), (self.get(keyOf(node)) ?? 0) + us);
		// Each function once per stack, however deep it recurses.
		const seen = new Set<string>();
		for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
			const key = keyOf(byId.get(at) as ProfileNode);
			if (seen.has(key)) continue;
			seen.add(key);
			total.set(key, (total.get(key) ?? 0) + us);
		}
	}
	const functions = [...total.entries()]
		.map(([name, us]) => ({ name, selfMs: (self.get(name) ?? 0) / 1000, totalMs: us / 1000 }))
		.sort((a, b) => b.selfMs - a.selfMs);
	return { functions, profiledMs: (profile.endTime - profile.startTime) / 1000 };
}
