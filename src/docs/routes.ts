import type { OpenAPIHono } from "@hono/zod-openapi";
import { version } from "../../package.json";
import type { AppEnv } from "../http/app-env";
import { ProblemError } from "../http/problem";
import { type ProblemSlug, problemTypes, problemTypeUri } from "../http/problem-types";
import { completeDocument, type Document } from "./complete-document";
import { renderDocs } from "./render";

const DOCUMENT_CONFIG = {
	openapi: "3.1.0",
	info: {
		title: "contact-vault",
		// One version number: the document's is the package's, bundled at build time.
		version,
		description:
			"Customer-data vault for express delivery. Contact data is stored encrypted; services read masked views; employees reveal one field of one assigned record for a stated purpose. Errors are application/problem+json (RFC 9457).",
	},
	security: [{ bearer: [] }],
	servers: [{ url: "/", description: "The vault that serves this document (npm run dev: http://127.0.0.1:8787, or $PORT)." }],
};

/** `/openapi.json`, `/docs` and `/problems/{slug}`, generated from the routes mounted on `app`. */
export function mountDocs(app: OpenAPIHono<AppEnv>): void {
	app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer", bearerFormat: "JWT" });
	let document: ReturnType<typeof app.getOpenAPI31Document> | undefined;
	const openApiDocument = () => {
		document ??= completeDocument(app.getOpenAPI31Document(DOCUMENT_CONFIG) as unknown as Document, app.routes) as unknown as ReturnType<
			typeof app.getOpenAPI31Document
		>;
		return document;
	};
	app.get("/openapi.json", (c) => c.json(openApiDocument()));
	app.get("/docs", (c) => {
		c.header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
		return c.html(renderDocs(openApiDocument() as Parameters<typeof renderDocs>[0]));
	});
	app.get("/problems/:slug", (c) => {
		const slug = c.req.param("slug");
		if (!Object.hasOwn(problemTypes, slug))
			throw new ProblemError("not-found", { detail: "No such problem type; the document /openapi.json lists those the vault sends." });
		const { status, title, description } = problemTypes[slug as ProblemSlug];
		return c.json({ type: problemTypeUri(slug as ProblemSlug), status, title, description });
	});
}
