import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { boundedChunks } from "../src/audit/bounded-chunks";

const sum = (sizes: readonly number[]) => sizes.reduce((total, size) => total + size, 0);

describe("boundedChunks: the audit appends' statements within D1's size of a bound value", () => {
	it("keeps every item once and in order; a chunk holds at most maxItems and maxBytes (one larger item goes alone), and ends only when the next would not fit", () => {
		fc.assert(
			fc.property(
				fc.array(fc.nat({ max: 2_000 }), { maxLength: 200 }),
				fc.integer({ min: 1, max: 20 }),
				fc.integer({ min: 1, max: 5_000 }),
				(sizes, maxItems, maxBytes) => {
					const chunks = boundedChunks(sizes, maxItems, maxBytes, (size) => size);
					expect(chunks.flat()).toEqual(sizes);
					for (const [index, chunk] of chunks.entries()) {
						expect(chunk.length).toBeGreaterThan(0);
						expect(chunk.length).toBeLessThanOrEqual(maxItems);
						if (chunk.length > 1) expect(sum(chunk)).toBeLessThanOrEqual(maxBytes);
						const next = chunks[index + 1]?.[0];
						if (next !== undefined) expect(chunk.length === maxItems || sum(chunk) + next > maxBytes).toBe(true);
					}
				},
			),
		);
	});
});
