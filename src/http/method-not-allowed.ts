/** A route as Hono lists it in `app.routes`: middleware is registered under the method `ALL`. */
export interface RouteEntry {
	method: string;
	path: string;
}

/** Patterns compiled so far, by route path: a 404 walks every route, and the routes do not change. */
const compiled = new Map<string, RegExp>();

/** A Hono path pattern as a regular expression: `:name` (optionally `{regex}`) is one segment, `*` anything. */
function patternOf(path: string): RegExp {
	const known = compiled.get(path);
	if (known) return known;
	const source = path
		.split("/")
		.map((segment) => {
			if (segment === "*") return ".*";
			if (segment.startsWith(":")) return "[^/]+";
			return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
		})
		.join("/");
	const pattern = new RegExp(`^${source}/?$`);
	compiled.set(path, pattern);
	return pattern;
}

/**
 * The methods the application's routes answer at `path`, for the Allow field of a 405 (RFC 9110
 * §15.5.6, §10.2.1): the one place that knows is the router's own route list. HEAD goes with GET,
 * which Hono answers for it. Empty when no route has this path, which is then a 404.
 */
export function allowedMethods(routes: readonly RouteEntry[], path: string): string[] {
	const methods = new Set<string>();
	for (const route of routes) {
		if (route.method === "ALL") continue;
		if (patternOf(route.path).test(path)) methods.add(route.method.toUpperCase());
	}
	if (methods.has("GET")) methods.add("HEAD");
	return [...methods].sort();
}
