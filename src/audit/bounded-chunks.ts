/**
 * Splits `items`, in order, into chunks of at most `maxItems` whose sizes add up to at most
 * `maxBytes`; an item larger than that goes alone. The audit appends bind a whole chunk as one
 * JSON parameter, and D1 refuses any string or row over 2,000,000 bytes (its platform limits):
 * counted by entries alone, a backlog of per-minute summaries (up to 500 record ids each) made one
 * parameter of several megabytes, refused on every retry. Pure.
 */
export function boundedChunks<T>(items: readonly T[], maxItems: number, maxBytes: number, bytesOf: (item: T) => number): T[][] {
	const chunks: T[][] = [];
	let current: T[] = [];
	let bytes = 0;
	for (const item of items) {
		const size = bytesOf(item);
		if (current.length > 0 && (current.length >= maxItems || bytes + size > maxBytes)) {
			chunks.push(current);
			current = [];
			bytes = 0;
		}
		current.push(item);
		bytes += size;
	}
	if (current.length > 0) chunks.push(current);
	return chunks;
}
