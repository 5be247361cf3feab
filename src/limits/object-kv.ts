import { deepFreeze } from "./deep-freeze";

/**
 * A Durable Object's synchronous key-value storage, with each value kept in memory as this instance
 * last read or wrote it. The object is the only writer of its storage and runs one call at a time,
 * so what it wrote is what storage holds: a read of a key this instance already knows parses
 * nothing. In a profile of ask/redeem pairs the limiter's reads of its state (parsing its day of
 * grants on every call, the redeem's to see the suspension) were the largest piece of its CPU.
 *
 * Two rules keep memory and storage the same:
 * - a transaction that throws rolls storage back: `transaction` forgets every key then, and
 *   each is read again from storage;
 * - values are frozen, deeply, when remembered: a rule that changed a value in place instead of
 *   returning a new one would change memory and not storage, and fails loudly instead.
 * A write that does not reach disk resets the object (the platform discards the instance), and
 * memory with it.
 */
export class ObjectKv {
	private readonly known = new Map<string, unknown>();

	private readonly kv: SyncKvStorage;

	constructor(private readonly storage: DurableObjectStorage) {
		this.kv = storage.kv;
	}

	/**
	 * One synchronous storage transaction (no await inside, so no other call interleaves); if it
	 * throws, storage rolls back and so does what is remembered of it (`alsoForget` for what else the
	 * object keeps of its storage).
	 */
	transaction<T>(body: () => T, alsoForget?: () => void): T {
		try {
			return this.storage.transactionSync(body);
		} catch (error) {
			this.forget();
			alsoForget?.();
			throw error;
		}
	}

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
