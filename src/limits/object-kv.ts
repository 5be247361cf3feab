import { deepFreeze } from "./deep-freeze";

/**
 * A Durable Object's synchronous key-value storage, with each value kept in memory as this instance
 * last read or wrote it. The object is the only writer of its storage and runs one call at a time,
 * so what it wrote is what storage holds: a read of a key this instance already knows parses
 * nothing. In a profile of ask/redeem pairs the limiter's reads of its state (parsing its day of
 * grants on every call, the redeem's to see the suspension) were the largest piece of its CPU.
 *
 * Two rules keep memory and storage the same:
 * - a transaction that throws rolls storage back: the caller calls `forget()` (the limiter's
 *   `transaction` does), and every key is read again from storage;
 * - values are frozen, deeply, when remembered: a rule that changed a value in place instead of
 *   returning a new one would change memory and not storage, and fails loudly instead.
 * A write that does not reach disk resets the object (the platform discards the instance), and
 * memory with it.
 */
export class ObjectKv {
	private readonly known = new Map<string, unknown>();

	constructor(private readonly kv: SyncKvStorage) {}

	get<T>(key: string): T | undefined {
		if (this.known.has(key)) return this.known.get(key) as T | undefined;
		const value = deepFreeze(this.kv.get<T>(key));
		this.known.set(key, value);
		return value;
	}

	put<T>(key: string, value: T): void {
		this.kv.put(key, value);
		this.known.set(key, deepFreeze(value));
	}

	delete(key: string): void {
		this.kv.delete(key);
		this.known.set(key, undefined);
	}

	/** Storage was rolled back (or may have been): read every key again. */
	forget(): void {
		this.known.clear();
	}
}
