import { ProblemError } from "./problem";

/** One entity-tag (RFC 9110 §8.8.3): its opaque part, quotes included, and whether it is weak. */
export interface EntityTag {
	weak: boolean;
	opaque: string;
}

// entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, etagc = %x21 / %x23-7E / obs-text (RFC 9110 §8.8.3).
const ENTITY_TAG = /^(W\/)?("[\x21\x23-\x7e\x80-\xff]*")$/;

/**
 * Parses an If-Match or If-None-Match field value (RFC 9110 §13.1.1, §13.1.2): `*`, or a
 * comma-separated list of entity-tags. A malformed value is a 400: a precondition the vault
 * cannot read must not be taken as absent.
 */
export function parseEntityTags(value: string): "*" | EntityTag[] {
	const trimmed = value.trim();
	if (trimmed === "*") return "*";
	const tags: EntityTag[] = [];
	for (const member of trimmed.split(",")) {
		const item = member.trim();
		// Empty list elements are allowed and ignored (RFC 9110 §5.6.1).
		if (item === "") continue;
		const match = ENTITY_TAG.exec(item);
		if (!match) {
			throw new ProblemError("bad-request", {
				detail: 'The precondition header is not `*` nor a list of entity-tags such as "3"; send the ETag you read, quotes included.',
				extensions: { parameter: "If-Match" },
			});
		}
		tags.push({ weak: match[1] !== undefined, opaque: match[2] as string });
	}
	return tags;
}

/**
 * Evaluates If-Match (RFC 9110 §13.1.1) against the resource's current strong ETag, or null when
 * the resource does not exist. `*` matches any current representation; a list matches when one
 * member is equal by the strong comparison (§8.8.3.2), so a weak tag never matches.
 */
export function ifMatchPasses(header: "*" | EntityTag[], current: string | null): boolean {
	if (current === null) return false;
	if (header === "*") return true;
	return header.some((tag) => !tag.weak && tag.opaque === current);
}

/** Evaluates If-None-Match (RFC 9110 §13.1.2) for a state-changing method: true when the change may go ahead. */
export function ifNoneMatchPasses(header: "*" | EntityTag[], current: string | null): boolean {
	if (current === null) return true;
	if (header === "*") return false;
	// Weak comparison here (§13.1.2).
	return !header.some((tag) => tag.opaque === current);
}

export interface Preconditions {
	ifMatch: string | undefined;
	ifNoneMatch: string | undefined;
}

/**
 * The preconditions of a change to a resource whose current strong ETag is `current` (null: it does
 * not exist). If-Match is evaluated first and If-None-Match only without it (RFC 9110 §13.2.2).
 * Changing a resource that exists needs one of them (RFC 6585 §3, 428): a client that read nothing
 * must not overwrite what another wrote; creating one needs none. `where` says where to read it.
 */
export function checkPreconditions(headers: Preconditions, current: string | null, where: string): { conditional: boolean } {
	const state = current === null ? "does not exist" : `is at ETag ${current}`;
	if (headers.ifMatch !== undefined) {
		if (!ifMatchPasses(parseEntityTags(headers.ifMatch), current)) {
			throw new ProblemError("precondition-failed", {
				detail: `If-Match does not match: the resource ${state}. Read it again (${where}) and retry with the ETag it answers.`,
				extensions: { parameter: "If-Match" },
			});
		}
		return { conditional: true };
	}
	if (headers.ifNoneMatch !== undefined) {
		if (!ifNoneMatchPasses(parseEntityTags(headers.ifNoneMatch), current)) {
			throw new ProblemError("precondition-failed", {
				detail: `If-None-Match does not hold: the resource ${state}. Read it (${where}) and change it with If-Match instead.`,
				extensions: { parameter: "If-None-Match" },
			});
		}
		return { conditional: true };
	}
	if (current !== null) {
		throw new ProblemError("precondition-required", {
			detail: `This resource exists: send If-Match with the ETag from ${where} (or If-Match: * to replace whatever is there).`,
			extensions: { parameter: "If-Match" },
		});
	}
	return { conditional: false };
}
