/**
 * D1 reports every failure as a plain Error whose message carries SQLite's text. This is the one
 * place that reads those messages; stores turn them into these classes and everything above them
 * uses `instanceof` (the error handler answers a StorageUnavailableError with 503).
 */

/** A UNIQUE or PRIMARY KEY constraint refused a write: `table` names the table SQLite reported. */
export class UniqueConstraintError extends Error {
	constructor(
		readonly table: string,
		options?: ErrorOptions,
	) {
		super(`unique constraint failed on ${table}`, options);
		this.name = "UniqueConstraintError";
	}
}

/** D1 itself failed (overloaded, unreachable, reset): nothing the caller did wrong, and nothing was written. */
export class StorageUnavailableError extends Error {
	constructor(options?: ErrorOptions) {
		super("storage unavailable", options);
		this.name = "StorageUnavailableError";
	}
}

const UNIQUE = /UNIQUE constraint failed: ([A-Za-z_]+)\./;

/** The error a store should rethrow for `error`, classified once; anything unrecognised is returned as is. */
export function classifyD1Error(error: unknown): unknown {
	if (!(error instanceof Error)) return error;
	const unique = UNIQUE.exec(error.message);
	if (unique?.[1]) return new UniqueConstraintError(unique[1], { cause: error });
	if (error.message.startsWith("D1_")) return new StorageUnavailableError({ cause: error });
	return error;
}

/** Runs a D1 call and rethrows its failure classified. */
export async function classified<T>(call: Promise<T>): Promise<T> {
	try {
		return await call;
	} catch (error) {
		throw classifyD1Error(error);
	}
}
