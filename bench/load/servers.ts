/** Starts the vault and the baseline with `wrangler dev` on free loopback ports, sharing one local D1. */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { createServer } from "node:net";

export const BENCH_STATE = ".wrangler/bench-state";

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

export function freshDatabase(): void {
	rmSync(BENCH_STATE, { recursive: true, force: true });
	const migrate = spawnSync("npx", ["wrangler", "d1", "migrations", "apply", "contact-vault", "--local", "--persist-to", BENCH_STATE], {
		env,
		encoding: "utf8",
	});
	if (migrate.status !== 0) throw new Error(`migrations failed: ${migrate.stderr}`);
}

export interface Server {
	url: string;
	stop: () => void;
}

export async function startWorker(configPath: string): Promise<Server> {
	const port = await freePort();
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
			BENCH_STATE,
			"--show-interactive-dev-session=false",
			"--log-level",
			"error",
		],
		{ env, stdio: ["ignore", "pipe", "pipe"], detached: true },
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
			if (response.status < 500 || configPath.includes("baseline")) return { url, stop };
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
