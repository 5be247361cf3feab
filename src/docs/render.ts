/** Renders the OpenAPI document as one self-contained HTML page: no script, no external asset. */

interface Operation {
	summary?: string;
	tags?: string[];
	parameters?: { name: string; in: string; required?: boolean; description?: string }[];
	requestBody?: { content?: Record<string, { schema?: unknown }> };
	responses?: Record<string, { description?: string }>;
	security?: Record<string, string[]>[];
	operationId?: string;
}

interface OpenApiDocument {
	info: { title: string; version: string; description?: string };
	paths?: Record<string, Record<string, Operation>>;
	components?: { schemas?: Record<string, unknown> };
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** Which scopes the call needs, from its security requirement; a public call says so. */
function scopesLine(op: Operation): string {
	const scopes = (op.security ?? []).flatMap((requirement) => Object.values(requirement).flat());
	if (op.security?.length === 0) return "Public: no token.";
	if (scopes.length === 0) return "Needs a bearer token.";
	return `Scope: ${scopes.map((scope) => `<code>${escapeHtml(scope)}</code>`).join(" or ")}${op.operationId ? ` · operationId <code>${escapeHtml(op.operationId)}</code>` : ""}`;
}

function operation(method: string, path: string, op: Operation): string {
	const params = (op.parameters ?? [])
		.map(
			(p) =>
				`<li><code>${escapeHtml(p.name)}</code> (${escapeHtml(p.in)}${p.required ? ", required" : ""})${p.description ? ` — ${escapeHtml(p.description)}` : ""}</li>`,
		)
		.join("");
	const body = op.requestBody?.content?.["application/json"]?.schema;
	const responses = Object.entries(op.responses ?? {})
		.map(([status, response]) => `<li><code>${escapeHtml(status)}</code> ${escapeHtml(response.description ?? "")}</li>`)
		.join("");
	return `<section><h3><code>${method.toUpperCase()} ${escapeHtml(path)}</code></h3>
<p>${escapeHtml(op.summary ?? "")}</p>
<p>${scopesLine(op)}</p>
${params ? `<h4>Parameters</h4><ul>${params}</ul>` : ""}
${body ? `<h4>Body</h4><pre>${escapeHtml(JSON.stringify(body, null, 2))}</pre>` : ""}
<h4>Responses</h4><ul>${responses}</ul></section>`;
}

export function renderDocs(doc: OpenApiDocument): string {
	const operations = Object.entries(doc.paths ?? {}).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => operation(method, path, op)));
	const schemas = Object.entries(doc.components?.schemas ?? {})
		.map(
			([name, schema]) =>
				`<section><h3 id="schema-${escapeHtml(name)}">${escapeHtml(name)}</h3><pre>${escapeHtml(JSON.stringify(schema, null, 2))}</pre></section>`,
		)
		.join("");
	return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(doc.info.title)} API</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5}pre{background:#f4f4f4;padding:.75rem;overflow:auto}section{border-top:1px solid #ddd}</style>
</head><body><main>
<h1>${escapeHtml(doc.info.title)} <small>${escapeHtml(doc.info.version)}</small></h1>
<p>${escapeHtml(doc.info.description ?? "")}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
<h2>Operations</h2>${operations.join("\n")}
<h2>Schemas</h2>${schemas}
</main></body></html>`;
}
