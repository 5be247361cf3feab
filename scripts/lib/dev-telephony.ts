/**
 * TELEPHONY for a local `wrangler dev`: when .dev.vars sets it (a real provider account, or a
 * simulator of the developer's own), wrangler reads it from there; otherwise a privacy-number
 * provider simulator starts in this process and its TELEPHONY goes to wrangler as a `--var`.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startTelephonySimulator, type TelephonySimulator } from "./telephony-simulator.ts";

export interface DevTelephony {
	/** `--var` overrides for wrangler dev: empty when .dev.vars has TELEPHONY. */
	vars: Record<string, string>;
	/** The simulator started, or null when .dev.vars has TELEPHONY. */
	simulator: TelephonySimulator | null;
}

export function devVarsSetTelephony(root: string): boolean {
	const path = join(root, ".dev.vars");
	return existsSync(path) && /^\s*TELEPHONY\s*=/m.test(readFileSync(path, "utf8"));
}

export async function devTelephony(root: string, port?: number): Promise<DevTelephony> {
	if (devVarsSetTelephony(root)) return { vars: {}, simulator: null };
	const simulator = await startTelephonySimulator({ port });
	return { vars: { TELEPHONY: simulator.telephony }, simulator };
}
