import { auditWitnessFor } from "../audit/witness-client";
import type { Env } from "../env";

/**
 * Whether rows without a MAC (written before migration 0014) may still be used as they read.
 *
 * SQL cannot compute a MAC, so the migration leaves existing rows without one, and the
 * every-minute legacy job (sign-legacy-rows.ts) MACs them as they are. Once a run finds none left
 * it tells the audit witness, outside D1 (a flag in D1 is one a database administrator could
 * clear), and from then on a row without a MAC is a forgery. An isolate learns that from the
 * witness in the background, never on a request's path (the MAC check adds no round trip): until
 * it has, it reads rows without a MAC as before 0014. Once learned, it never forgets (the flag
 * never goes back), so the window is each new isolate's first moments, and verification, which
 * asks the witness itself, reports such rows either way.
 */
let signed = false;
let lastAsked = 0;
const ASK_EVERY_MS = 60_000;

export function legacyRowsAccepted(): boolean {
	return !signed;
}

/** What the witness said (verification, the legacy job); also what tests use to learn it at once. */
export function learnLegacyRowsSigned(value: boolean): void {
	if (value) signed = true;
}

/** Asks the witness after the response, at most once a minute per isolate, until it says yes. */
export function refreshLegacyState(env: Env, ctx: Pick<ExecutionContext, "waitUntil"> | undefined, now: number): void {
	if (signed || !ctx || now - lastAsked < ASK_EVERY_MS) return;
	const witness = auditWitnessFor(env);
	if (!witness) return;
	lastAsked = now;
	ctx.waitUntil(
		witness
			.legacyRowsSigned()
			.then((state) => learnLegacyRowsSigned(state !== null))
			.catch(() => {
				lastAsked = 0;
			}),
	);
}
