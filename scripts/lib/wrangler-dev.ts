/** Starts the worker with `wrangler dev` on a free loopback port, over a local D1 of its own. */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { createServer } from "node:net";

export async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.listen(0, "127.0.0.1", () => {
			const address = server.address();
			server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
		});
	});
}

const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" };

/** Empties `stateDir` and applies every migration to the local D1 kept there. */
export function freshDatabase(stateDir: string): void {
	rmSync(stateDir, { recursive: true, force: true });
	const migrate = spawnSync("npx", ["wrangler", "d1", "migrations", "apply", "contact-vault", "--local", "--persist-to", stateDir], {
		env,
		encoding: "utf8",
	});
	if (migrate.status !== 0) throw new Error(`migrations failed: ${migrate.stderr}`);
}

export interface Server {
	url: string;
	/** wrangler's inspector (Chrome DevTools Protocol) for the worker's isolate. */
	inspectorPort: number;
	stop: () => void;
}

export interface WorkerOptions {
	configPath: string;
	stateDir: string;
	/** `--var NAME:VALUE` overrides of wrangler.toml [vars]. */
	vars?: Record<string, string>;
	/** Ready when /healthz answers below 500 (or at all, when false). */
	requireHealthy?: boolean;
	/** A port chosen beforehand (someone must know the URL before it starts); a free one by default. */
	port?: number;
	/**
	 * Whether wrangler's local observability collector runs (on by default, `X_LOCAL_OBSERVABILITY`):
	 * a streaming tail worker in the worker's own workerd process that receives an event for every
	 * invocation and span (each D1 query, each Durable Object call and storage operation) and stores
	 * it for the local dashboard. It is development tooling, absent in production, and its cost grows
	 * with the number of spans a request makes, so the benchmark turns it off for every worker it runs.
	 */
	localObservability?: boolean;
}

export async function startWorker({
	configPath,
	stateDir,
	vars = {},
	requireHealthy = true,
	port: chosen,
	localObservability = true,
}: WorkerOptions): Promise<Server> {
	const port = chosen ?? (await freePort());
	const inspector = await freePort();
	const child: ChildProcess = spawn(
		"npx",
		[
			"wrangler",
			"dev",
			"-c",
			configPath,
			"--ip",
			"127.0.0.1",
			"--port",
			String(port),
			"--inspector-port",
			String(inspector),
			"--persist-to",
			stateDir,
			"--show-interactive-dev-session=false",
			"--log-level",
			"error",
			...Object.entries(vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
		],
		{ env: localObservability ? env : { ...env, X_LOCAL_OBSERVABILITY: "false" }, stdio: ["ignore", "pipe", "pipe"], detached: true },
	);
	let output = "";
	child.stdout?.on("data", (chunk) => (output += chunk));
	child.stderr?.on("data", (chunk) => (output += chunk));
	const url = `http://127.0.0.1:${port}`;
	const stop = () => {
		if (child.pid) {
			try {
				process.kill(-child.pid, "SIGTERM");
			} catch {
				// already gone
			}
		}
	};
	const deadline = Date.now() + 90_000;
	for (;;) {
		try {
			const response = await fetch(`${url}/healthz`);
			await response.arrayBuffer();
			if (response.status < 500 || !requireHealthy) return { url, inspectorPort: inspector, stop };
		} catch {
			// not listening yet
		}
		if (Date.now() > deadline || child.exitCode !== null) {
			stop();
			throw new Error(`wrangler dev -c ${configPath} did not start:\n${output.slice(-3000)}`);
		}
		await new Promise((resolve) => setTimeout(resolve, 300));
	}
}
