/**
 * Where the development OpenID provider keeps sessions, grants, codes and tokens: process memory,
 * each entry dropped when it expires. A restart signs everyone out, which is what a development
 * provider should do. (oidc-provider's own quick-start store does the same but warns on every
 * start that it is not for production; neither is this.)
 */
import type { Adapter, AdapterPayload } from "oidc-provider";

interface Entry {
	payload: AdapterPayload;
	expiresAt: number;
}

export function memoryStore(): new (name: string) => Adapter {
	const entries = new Map<string, Entry>();
	const live = (key: string): AdapterPayload | undefined => {
		const entry = entries.get(key);
		if (entry && entry.expiresAt <= Date.now()) entries.delete(key);
		return entry && entry.expiresAt > Date.now() ? entry.payload : undefined;
	};
	return class MemoryStore implements Adapter {
		private readonly name: string;

		constructor(name: string) {
			this.name = name;
		}

		private key(id: string): string {
			return `${this.name}:${id}`;
		}

		async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
			entries.set(this.key(id), { payload, expiresAt: Date.now() + expiresIn * 1000 });
		}

		async find(id: string): Promise<AdapterPayload | undefined> {
			return live(this.key(id));
		}

		async findByUid(uid: string): Promise<AdapterPayload | undefined> {
			for (const key of entries.keys()) {
				const payload = key.startsWith(`${this.name}:`) ? live(key) : undefined;
				if (payload?.uid === uid) return payload;
			}
			return undefined;
		}

		async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
			for (const key of entries.keys()) {
				const payload = key.startsWith(`${this.name}:`) ? live(key) : undefined;
				if (payload?.userCode === userCode) return payload;
			}
			return undefined;
		}

		async consume(id: string): Promise<void> {
			const payload = live(this.key(id));
			if (payload) payload.consumed = Math.floor(Date.now() / 1000);
		}

		async destroy(id: string): Promise<void> {
			entries.delete(this.key(id));
		}

		/** Revoking a grant ends every code and token issued under it (a code used twice, RFC 6749 §4.1.2). */
		async revokeByGrantId(grantId: string): Promise<void> {
			for (const [key, entry] of entries) if (entry.payload.grantId === grantId) entries.delete(key);
		}
	};
}
