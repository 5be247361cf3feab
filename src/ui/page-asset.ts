/** One of the pages' scripts or stylesheets, as src/ui/page-assets.ts holds it. */
export interface PageAsset {
	/** Content-Type, with its charset. */
	type: string;
	/** A strong entity tag (RFC 9110 §8.8.3) over the bytes. */
	etag: string;
	body: string;
}
