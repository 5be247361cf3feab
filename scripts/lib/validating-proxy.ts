/**
 * Prism (@stoplight/prism-cli) as a validating proxy in front of a running vault: every request is
 * forwarded unchanged and every answer checked against the OpenAPI document. Request violations
 * are expected (the smoke and the e2e send bad input on purpose); a response violation means the
 * vault answered something its document does not say, and fails the run.
 */
import { spawn } from "node:child_process";
import { freePort } from "./wrangler-dev.ts";

export interface ValidatingProxy {
	url: string;
	/** Prism's report of each answer that breaks the document, so far. */
	responseViolations(): string[];
	/**
	 * Resolves once Prism's log holds everything about the answers already received. Prism logs a
	 * violation before it sends the answer, through one ordered stream; so once a marker request
	 * sent now shows in that stream, every earlier answer's lines are in too.
	 */
	settled(): Promise<void>;
	stop(): void;
}

/** Prism exiting before it listens (its port taken between `freePort` and its bind, say) is retried on a fresh port this many times. */
const START_ATTEMPTS = 3;

export async function startValidatingProxy(documentFile: string, upstream: string): Promise<ValidatingProxy> {
	const failures: string[] = [];
	for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
		const started = await startPrism(documentFile, upstream);
		if ("proxy" in started) return started.proxy;
		failures.push(`attempt ${attempt}: ${started.failure}`);
		if (!started.exited) break; // alive but silent for a minute: another try would only wait again
	}
	throw new Error(`prism proxy did not start:\n${failures.join("\n")}`);
}

type Started = { proxy: ValidatingProxy } | { failure: string; exited: boolean };

async function startPrism(documentFile: string, upstream: string): Promise<Started> {
	const port = await freePort();
	// Without --errors: answers pass through as the vault gave them; violations are read from the log.
	const prism = spawn("npx", ["prism", "proxy", documentFile, upstream, "--host", "127.0.0.1", "--port", String(port)], {
		stdio: ["ignore", "pipe", "pipe"],
		detached: true,
	});
	let log = "";
	prism.stdout.on("data", (chunk) => (log += chunk));
	prism.stderr.on("data", (chunk) => (log += chunk));
	const closed = new Promise<void>((resolve) => prism.once("close", () => resolve()));
	let stopped = false;
	const stop = () => {
		if (stopped || !prism.pid) return;
		stopped = true;
		try {
			process.kill(-prism.pid, "SIGTERM");
		} catch (error) {
			// ESRCH: the whole group has exited already, which is what stopping it asks for.
			if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
		}
	};
	const deadline = Date.now() + 60_000;
	while (!log.includes("Prism is listening")) {
		if (prism.exitCode !== null || prism.signalCode !== null) {
			await closed; // "close" comes after the last of its output
			stop();
			return { failure: `exited (${prism.exitCode ?? prism.signalCode}) before listening on ${port}:\n${log.slice(-2000)}`, exited: true };
		}
		if (Date.now() > deadline) {
			stop();
			return { failure: `not listening on ${port} after 60 s:\n${log.slice(-2000)}`, exited: false };
		}
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
	const url = `http://127.0.0.1:${port}`;
	const settled = async () => {
		const marker = crypto.randomUUID();
		// A pooled connection the proxy has closed meanwhile fails at once ("other side closed"): the
		// request never reached it, so it is sent again, on a fresh connection.
		for (let attempt = 1; ; attempt++) {
			try {
				await fetch(`${url}/healthz?settled=${marker}`, { headers: { Connection: "close" } }).then((response) => response.arrayBuffer());
				break;
			} catch (error) {
				if (attempt >= 3 || prism.exitCode !== null) {
					throw new Error(`prism proxy did not answer the marker request (exit code ${prism.exitCode}):\n${log.slice(-3000)}`, { cause: error });
				}
			}
		}
		const until = Date.now() + 30_000;
		while (!log.includes(marker)) {
			if (Date.now() > until || prism.exitCode !== null) throw new Error("prism proxy did not log the marker request within 30 s");
			await new Promise((resolve) => setTimeout(resolve, 50));
		}
	};
	return {
		proxy: {
			url,
			responseViolations: () => log.split("\n").filter((line) => /Violation: response/.test(line)),
			settled,
			stop,
		},
	};
}
