/**
 * A real HTTP server on loopback that stands in for the alert webhook (the one outside system the
 * vault talks to). Tests switch it down and up and read what it received, over HTTP.
 */
import { createServer, type Server } from "node:http";

export async function startWebhookServer(): Promise<{ url: string; server: Server }> {
	let up = true;
	const received: unknown[] = [];
	const server = createServer((request, response) => {
		let body = "";
		request.on("data", (chunk) => {
			body += chunk;
		});
		request.on("end", () => {
			const path = request.url ?? "/";
			if (path === "/control/down" || path === "/control/up") {
				up = path === "/control/up";
				response.writeHead(204).end();
			} else if (path === "/received") {
				response.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(received));
			} else if (path === "/hook" && request.method === "POST") {
				if (!up) {
					response.writeHead(503).end();
					return;
				}
				received.push(JSON.parse(body));
				response.writeHead(202).end();
			} else {
				response.writeHead(404).end();
			}
		});
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	server.unref();
	const address = server.address();
	if (typeof address !== "object" || !address) throw new Error("webhook server has no address");
	return { url: `http://127.0.0.1:${address.port}`, server };
}
