// @ts-check
/** The body the policy form sends: pure, so the tests run it as the page does. */

/** What `GET /v1/policies` says about a layer that is not a field of it: PUT names these by path, header, or not at all. */
const NOT_FIELDS = new Set(["layer", "target", "target_issuer", "version", "updated_by", "updated_at"]);

/**
 * The body of `PUT /v1/policies/…` for a form over `stored` (the layer as loaded; null for a new
 * layer): the stored layer's fields with the form's over them. PUT replaces the whole layer and
 * stores a field it is not sent as null, so a page that sent only the fields it shows would clear
 * every other one. Starting from the layer as loaded, a field this page does not know (added to
 * the API after the page was loaded, by a later migration) is sent back as it was, not cleared.
 * @param {Record<string, unknown> | null} stored
 * @param {Record<string, unknown>} edited
 * @returns {Record<string, unknown>}
 */
export function layerBody(stored, edited) {
	const kept = Object.entries(stored ?? {}).filter(([field]) => !NOT_FIELDS.has(field));
	return { ...Object.fromEntries(kept), ...edited };
}
