/**
 * The baseline: a minimal worker that reads one record by id from the same local D1, with no
 * auth, no crypto and no audit. Every vault figure is reported as a ratio to this one's.
 */
interface BaselineEnv {
	DB: D1Database;
}

export default {
	async fetch(request: Request, env: BaselineEnv): Promise<Response> {
		const id = new URL(request.url).pathname.split("/").pop() ?? "";
		const row = await env.DB.prepare("SELECT id, shipment_id, party, depot, courier, masked_name, masked_phone, masked_address FROM records WHERE id = ?1")
			.bind(id)
			.first();
		return row ? Response.json(row) : new Response("not found", { status: 404 });
	},
} satisfies ExportedHandler<BaselineEnv>;
