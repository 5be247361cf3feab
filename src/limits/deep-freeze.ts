/**
 * Freezes a value and everything in it: for values one instance shares between calls (a limiter's
 * remembered storage, a remembered policy), so a change in place throws instead of leaking into the
 * next call. A frozen object is taken as frozen through (only this function freezes them here).
 */
export function deepFreeze<T>(value: T): T {
	if (value === null || typeof value !== "object" || Object.isFrozen(value)) return value;
	for (const inner of Object.values(value)) deepFreeze(inner);
	return Object.freeze(value);
}
