/**
 * Where the local vault is: `npm run dev` listens on 127.0.0.1:$PORT (8787 by default), and the
 * scripts that talk to it look there too, unless VAULT_URL names another address.
 */
export const DEFAULT_PORT = 8787;

/** `PORT` as a TCP port number, or an error saying what is wrong with it. */
export function devPort(env: NodeJS.ProcessEnv = process.env): number {
	const raw = env.PORT;
	if (raw === undefined || raw === "") return DEFAULT_PORT;
	const port = Number(raw);
	if (!/^\d+$/.test(raw) || port < 1 || port > 65_535) throw new Error(`PORT="${raw}" is not a port number (1 to 65535).`);
	return port;
}

/** The vault's base URL, without a trailing slash: VAULT_URL if set, else the port `npm run dev` uses. */
export function devBaseUrl(env: NodeJS.ProcessEnv = process.env): string {
	const explicit = env.VAULT_URL?.trim();
	if (explicit) {
		let url: URL;
		try {
			url = new URL(explicit);
		} catch {
			throw new Error(`VAULT_URL="${explicit}" is not a URL (e.g. http://127.0.0.1:8787).`);
		}
		if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`VAULT_URL="${explicit}" is not an http(s) URL.`);
		return explicit.replace(/\/+$/, "");
	}
	return `http://127.0.0.1:${devPort(env)}`;
}
