import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { type DepotTally, EMPTY_TALLY, tallyReveal } from "./depot-tally";

/**
 * One per depot: counts the reveals of all its employees against the depot's daily budget, so a
 * ring that splits the work under each member's quota still shows as one depot over budget.
 * Told after grants, off the request's path, a few at a time; it raises, it never refuses.
 */
export class DepotLedger extends DurableObject<Env> {
	tally(budget: number, reveals = 1): { count: number; crossed: boolean } {
		return this.ctx.storage.transactionSync(() => {
			const { next, count, crossed } = tallyReveal(this.ctx.storage.kv.get<DepotTally>("tally") ?? EMPTY_TALLY, Date.now(), budget, reveals);
			this.ctx.storage.kv.put("tally", next);
			return { count, crossed };
		});
	}
}
