/**
 * The baseline: a minimal worker that reads one record by id from the same local D1, with no
 * auth, no crypto and no audit. Every vault figure is reported as a ratio to this one's.
 *
 * It also answers the reveal's I/O shape with nothing else around it (`/shape/…`): the ask's D1
 * read and then one durable commit in a Durable Object, and the redeem's commit beside its D1
 * read. The bench reports that pair as the least a full reveal of this shape can cost in this
 * runtime, so the vault's figure can be read as shape plus the vault's own work.
 */
import { DurableObject } from "cloudflare:workers";

interface BaselineEnv {
	DB: D1Database;
	SHAPE: DurableObjectNamespace<ShapeObject>;
}

/** One commit per call, as the vault's limiter commits a decision with its audit entry. */
export class ShapeObject extends DurableObject<BaselineEnv> {
	constructor(ctx: DurableObjectState, env: BaselineEnv) {
		super(ctx, env);
		ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS entries (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
	}

	commit(body: string): number {
		this.ctx.storage.sql.exec("INSERT INTO entries (body) VALUES (?)", body);
		return 1;
	}
}

const READ = "SELECT id, shipment_id, party, depot, courier, masked_name, masked_phone, masked_address FROM records WHERE id = ?1";

export default {
	async fetch(request: Request, env: BaselineEnv): Promise<Response> {
		const url = new URL(request.url);
		const id = url.pathname.split("/").pop() ?? "";
		const read = () => env.DB.prepare(READ).bind(id).first();
		if (url.pathname.startsWith("/shape/")) {
			// One object per courier, as the vault has one limiter per principal.
			const object = env.SHAPE.get(env.SHAPE.idFromName(url.searchParams.get("by") ?? "anyone"));
			if (url.pathname.startsWith("/shape/ask/")) {
				const row = await read();
				if (!row) return new Response("not found", { status: 404 });
				await object.commit(id);
				return Response.json(row, { status: 201 });
			}
			const [, row] = await Promise.all([object.commit(id), read()]);
			return row ? Response.json(row) : new Response("not found", { status: 404 });
		}
		const row = await read();
		return row ? Response.json(row) : new Response("not found", { status: 404 });
	},
} satisfies ExportedHandler<BaselineEnv>;
