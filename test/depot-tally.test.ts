import { describe, expect, it } from "vitest";
import { EMPTY_TALLY, tallyReveal } from "../src/limits/depot-tally";

describe("depot tally", () => {
	it("crosses once, on the reveal that goes over budget, and forgets reveals older than a day", () => {
		let tally = EMPTY_TALLY;
		const crossings: boolean[] = [];
		for (let i = 0; i < 5; i++) {
			const result = tallyReveal(tally, 1_000_000 + i * 1000, 3);
			crossings.push(result.crossed);
			tally = result.next;
		}
		expect(crossings).toEqual([false, false, false, true, false]);
		expect(tally.minutes).toEqual([[960_000, 5]]);
		// A budget lowered below the count still raises, once.
		const lowered = tallyReveal({ minutes: tally.minutes }, 1_010_000, 2);
		expect(lowered.crossed).toBe(true);
		expect(tallyReveal(lowered.next, 1_020_000, 2).crossed).toBe(false);
		const dayLater = tallyReveal(tally, 1_000_000 + 86_400_000 + 60_000, 3);
		expect(dayLater.count).toBe(1);
		// Reveals an isolate gathered arrive together and count in full.
		expect(tallyReveal(EMPTY_TALLY, 5_000, 100, 16)).toMatchObject({ count: 16, crossed: false });
		expect(tallyReveal(EMPTY_TALLY, 5_000, 10, 16)).toMatchObject({ count: 16, crossed: true });
	});
});
