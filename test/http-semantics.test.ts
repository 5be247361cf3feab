import { beforeAll, describe, expect, it } from "vitest";
import { askReveal, call, createRecords, json } from "./support/api";
import { employeeToken, serviceToken, token } from "./support/tokens";

let ops: string;
let service: string;

beforeAll(async () => {
	ops = await token({ sub: "ops-semantics", scope: "ops" });
	service = await serviceToken("records:write records:read");
});

const body = (burst: number) => ({ mode: "enforce", burst_limit: burst, burst_window_seconds: 600 });
const put = (path: string, burst: number, headers: Record<string, string> = {}) =>
	call("PUT", `/v1/policies/${path}`, { token: ops, body: body(burst), headers });

describe("conditional changes of policy layers (RFC 9110 §13.1.1, RFC 6585 §3)", () => {
	it("GET of a layer carries its ETag; a change with that ETag goes through and answers the next one", async () => {
		expect((await put("employee/etag-c", 5)).status).toBe(201);
		const read = await call("GET", "/v1/policies/employee/etag-c", { token: ops });
		expect(read.status).toBe(200);
		expect(read.headers.get("ETag")).toBe('"1"');
		const changed = await put("employee/etag-c", 6, { "If-Match": read.headers.get("ETag") as string });
		expect(changed.status).toBe(200);
		expect(changed.headers.get("ETag")).toBe('"2"');
		expect((await call("GET", "/v1/policies/default", { token: ops })).headers.get("ETag")).toMatch(/^"\d+"$/);
	});

	it("a failed precondition is 412 and changes nothing: stale tag, weak tag, a tag on a layer that does not exist", async () => {
		expect((await put("employee/stale-c", 5)).status).toBe(201);
		for (const ifMatch of ['"7"', 'W/"1"']) {
			const refused = await put("employee/stale-c", 9, { "If-Match": ifMatch });
			expect(refused.status).toBe(412);
			expect(await json(refused)).toMatchObject({ type: "/problems/precondition-failed", parameter: "If-Match" });
		}
		expect((await put("employee/never-c", 5, { "If-Match": '"1"' })).status).toBe(412);
		expect((await put("employee/never-c", 5, { "If-Match": "*" })).status).toBe(412);
		expect(await json(await call("GET", "/v1/policies/employee/stale-c", { token: ops }))).toMatchObject({ version: 1, burst_limit: 5 });
		expect((await call("GET", "/v1/policies/employee/never-c", { token: ops })).status).toBe(404);
	});

	it("changing or deleting a layer that exists without If-Match is 428; creating one needs none", async () => {
		expect((await put("employee/required-c", 5)).status).toBe(201);
		const missing = await put("employee/required-c", 6);
		expect(missing.status).toBe(428);
		expect(await json(missing)).toMatchObject({ type: "/problems/precondition-required", detail: expect.stringContaining("If-Match") });
		expect((await call("DELETE", "/v1/policies/employee/required-c", { token: ops })).status).toBe(428);
		expect((await call("DELETE", "/v1/policies/employee/required-c", { token: ops, headers: { "If-Match": '"1"' } })).status).toBe(204);
	});

	it("`*` matches any current layer", async () => {
		expect((await put("employee/star-c", 5)).status).toBe(201);
		const changed = await put("employee/star-c", 6, { "If-Match": "*" });
		expect(changed.status).toBe(200);
		expect(await json(changed)).toMatchObject({ version: 2, burst_limit: 6 });
	});

	it("a list matches when any of its tags does; If-None-Match: * creates only what is new", async () => {
		expect((await put("employee/list-c", 5, { "If-None-Match": "*" })).status).toBe(201);
		expect((await put("employee/list-c", 5, { "If-None-Match": "*" })).status).toBe(412);
		expect((await put("employee/list-c", 6, { "If-Match": '"3", "1"' })).status).toBe(200);
		expect((await put("employee/list-c", 7, { "If-Match": '"1", W/"2"' })).status).toBe(412);
		expect((await put("employee/list-c", 7, { "If-Match": '"1",, "2"' })).status).toBe(200);
	});

	it("a malformed precondition is a 400 naming the header, never taken as absent", async () => {
		expect((await put("employee/malformed-c", 5)).status).toBe(201);
		const response = await put("employee/malformed-c", 6, { "If-Match": "1" });
		expect(response.status).toBe(400);
		expect(await json(response)).toMatchObject({ type: "/problems/bad-request", parameter: "If-Match" });
	});
});

describe("405 with Allow (RFC 9110 §15.5.6)", () => {
	it("a wrong method on a known path names the methods it answers", async () => {
		const response = await call("PATCH", "/v1/policies/employee/someone", { token: ops });
		expect(response.status).toBe(405);
		expect(response.headers.get("Allow")).toBe("DELETE, GET, HEAD, PUT");
		expect(await json(response)).toMatchObject({ type: "/problems/method-not-allowed", status: 405 });
		expect((await call("DELETE", "/v1/reveals/quota", { token: ops })).headers.get("Allow")).toBe("GET, HEAD");
	});

	it("an unknown path stays a 404", async () => {
		const response = await call("GET", "/v1/nothing-here", { token: ops });
		expect(response.status).toBe(404);
		expect(response.headers.get("Allow")).toBeNull();
	});
});

describe("RateLimit fields on every answer of a reveal ask", () => {
	const RATE_LIMIT = /^"burst";r=\d+;t=\d+, "daily";r=\d+;t=\d+, "distinct";r=\d+;t=\d+$/;

	it("on refusals too: out of scope (403), wrong purpose (403), no such record (404), suspended (423)", async () => {
		const [theirs] = await createRecords(service, 1, { depot: "RL-2", courier: "other-c" });
		const [mine] = await createRecords(service, 1, { depot: "RL-1", courier: "rl-c" });
		const bearer = await employeeToken("courier", "rl-c", "RL-1");
		const outOfScope = await askReveal(bearer, theirs as string);
		const wrongPurpose = await askReveal(bearer, mine as string, "pickup");
		const missing = await askReveal(bearer, "rec_00000000000000000000000000");
		for (const [response, status] of [
			[outOfScope, 403],
			[wrongPurpose, 403],
			[missing, 404],
		] as const) {
			expect(response.status).toBe(status);
			expect(response.headers.get("RateLimit-Policy")).toBe('"burst";q=30;w=600, "daily";q=400;w=86400, "distinct";q=300;w=86400');
			expect(response.headers.get("RateLimit")).toMatch(RATE_LIMIT);
		}
		// A refusal consumes nothing: all of the burst is left.
		expect(outOfScope.headers.get("RateLimit")).toMatch(/^"burst";r=30;/);

		const ask = await json<{ detail: string }>(outOfScope);
		expect(ask.detail).toMatch(/\S/);
		expect((await call("POST", "/v1/employees/rl-c/suspend?kind=employee", { token: ops, body: { reason: "test" } })).status).toBe(200);
		const suspended = await askReveal(bearer, mine as string);
		expect(suspended.status).toBe(423);
		expect(suspended.headers.get("RateLimit")).toMatch(RATE_LIMIT);
	});
});

describe("employees the vault has never seen", () => {
	it("are 404, while one that has asked is 200", async () => {
		const unknown = await call("GET", "/v1/employees/nobody-ever", { token: ops });
		expect(unknown.status).toBe(404);
		expect(await json(unknown)).toMatchObject({ type: "/problems/not-found", detail: expect.stringContaining("GET /v1/employees") });
		const [id] = await createRecords(service, 1, { depot: "SEEN-1", courier: "seen-c" });
		expect((await askReveal(await employeeToken("courier", "seen-c", "SEEN-1"), id as string)).status).toBe(201);
		expect((await call("GET", "/v1/employees/seen-c", { token: ops })).status).toBe(200);
	});
});
