/**
 * A D1 binding that counts round trips: each `first`, `all`, `run` or `raw` of a statement and each
 * `batch` is one query against the per-invocation limit. Everything is passed to the real D1.
 */
export function countingDb(db: D1Database): { db: D1Database; count: () => number; reset: () => void } {
	let queries = 0;
	const real = new WeakMap<object, D1PreparedStatement>();
	const wrap = (statement: D1PreparedStatement): D1PreparedStatement => {
		const proxy = new Proxy(statement, {
			get(target, property) {
				if (property === "bind") return (...values: unknown[]) => wrap(target.bind(...values));
				if (property === "first" || property === "all" || property === "run" || property === "raw") {
					return (...args: unknown[]) => {
						queries++;
						return (target[property] as (...a: unknown[]) => unknown).apply(target, args);
					};
				}
				const value = Reflect.get(target, property, target);
				return typeof value === "function" ? value.bind(target) : value;
			},
		});
		real.set(proxy, statement);
		return proxy;
	};
	const counted = new Proxy(db, {
		get(target, property) {
			if (property === "prepare") return (query: string) => wrap(target.prepare(query));
			if (property === "batch") {
				return (statements: D1PreparedStatement[]) => {
					queries++;
					return target.batch(statements.map((statement) => real.get(statement) ?? statement));
				};
			}
			const value = Reflect.get(target, property, target);
			return typeof value === "function" ? value.bind(target) : value;
		},
	});
	return {
		db: counted,
		count: () => queries,
		reset: () => {
			queries = 0;
		},
	};
}
