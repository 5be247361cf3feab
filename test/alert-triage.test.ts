import { describe, expect, it } from "vitest";
import { askReveal, call, json, recordBody } from "./support/api";
import { settle } from "./support/settle";
import { employeeToken, token } from "./support/tokens";

interface Alert {
	id: string;
	kind: string;
	subject: string | null;
	state: "open" | "acknowledged" | "resolved";
	acknowledged: { by: string; at: string; note: string } | null;
	resolved: { by: string; at: string; note: string } | null;
}
interface Entry {
	kind: string;
	actor: { subject: string } | null;
	details: Record<string, unknown>;
}

const alertsOf = async (ops: string, query = "") => (await json<{ alerts: Alert[] }>(await call("GET", `/v1/alerts${query}`, { token: ops }))).alerts;
const entriesOf = async (ops: string, kind: string) => (await json<{ entries: Entry[] }>(await call("GET", `/v1/audit?kind=${kind}`, { token: ops }))).entries;

/** Plants a honeytoken in `depot` and has `sub` ask for it: one critical alert about them, and a suspension by detection. */
async function touchedHoneytoken(ops: string, sub: string, depot: string): Promise<{ alert: Alert; bearer: string }> {
	const planted = await json<{ record_id: string }>(await call("POST", "/v1/honeytokens", { token: ops, body: { record: recordBody({ depot }) } }));
	const bearer = await employeeToken("clerk", sub, depot);
	expect((await askReveal(bearer, planted.record_id, "return")).status).toBe(423);
	await settle(bearer);
	const alert = (await alertsOf(ops)).find((candidate) => candidate.subject === sub && candidate.kind === "honeytoken_touched");
	expect(alert).toBeDefined();
	return { alert: alert as Alert, bearer };
}

describe("alerts are acknowledged and resolved with a note", () => {
	it("open → acknowledged → resolved, each audited once with who and the note; repeats change nothing", async () => {
		const ops = await token({ sub: "ops-triage", scope: "ops" });
		const { alert } = await touchedHoneytoken(ops, "triage-clerk", "AT-1");
		expect(alert).toMatchObject({ state: "open", acknowledged: null, resolved: null });

		const acknowledged = await call("POST", `/v1/alerts/${alert.id}/acknowledge`, { token: ops, body: { note: "calling the depot manager" } });
		expect(acknowledged.status).toBe(200);
		expect(await json<Alert>(acknowledged)).toMatchObject({ state: "acknowledged", acknowledged: { by: "ops-triage", note: "calling the depot manager" } });
		// A second acknowledgement (a double click, a retry) answers the same and writes nothing.
		const again = await json<Alert>(await call("POST", `/v1/alerts/${alert.id}/acknowledge`, { token: ops, body: { note: "another note" } }));
		expect(again).toMatchObject({ state: "acknowledged", acknowledged: { note: "calling the depot manager" } });
		expect((await alertsOf(ops, "?state=acknowledged")).map((a) => a.id)).toContain(alert.id);
		expect((await alertsOf(ops, "?state=open")).map((a) => a.id)).not.toContain(alert.id);

		const resolved = await json<Alert>(await call("POST", `/v1/alerts/${alert.id}/resolve`, { token: ops, body: { note: "test parcel, clerk briefed" } }));
		expect(resolved).toMatchObject({
			state: "resolved",
			acknowledged: { by: "ops-triage" },
			resolved: { by: "ops-triage", note: "test parcel, clerk briefed" },
		});
		expect(Date.parse(resolved.resolved?.at ?? "")).toBeGreaterThanOrEqual(Date.parse(resolved.acknowledged?.at ?? ""));
		expect(await json<Alert>(await call("POST", `/v1/alerts/${alert.id}/resolve`, { token: ops, body: { note: "again" } }))).toEqual(resolved);
		// Acknowledging a resolved alert does not reopen it.
		expect(await json<Alert>(await call("POST", `/v1/alerts/${alert.id}/acknowledge`, { token: ops, body: { note: "late" } }))).toEqual(resolved);

		const acks = (await entriesOf(ops, "alert.acknowledged")).filter((entry) => entry.details.alert_id === alert.id);
		const resolutions = (await entriesOf(ops, "alert.resolved")).filter((entry) => entry.details.alert_id === alert.id);
		expect(acks).toEqual([
			expect.objectContaining({
				actor: expect.objectContaining({ subject: "ops-triage" }),
				details: { alert_id: alert.id, note: "calling the depot manager" },
			}),
		]);
		expect(resolutions).toHaveLength(1);
		expect((await json<{ ok: boolean }>(await call("GET", "/v1/audit/verify", { token: ops }))).ok).toBe(true);
	});

	it("an open alert resolves directly; unknown ids are 404; a note is required; only ops may triage", async () => {
		const ops = await token({ sub: "ops-triage-2", scope: "ops" });
		const { alert, bearer } = await touchedHoneytoken(ops, "triage-clerk-2", "AT-2");
		expect((await call("POST", `/v1/alerts/${alert.id}/resolve`, { token: bearer, body: { note: "mine" } })).status).toBe(403);
		expect((await call("POST", `/v1/alerts/${alert.id}/resolve`, { token: ops, body: {} })).status).toBe(422);
		expect((await call("POST", `/v1/alerts/${alert.id}/resolve`, { token: ops, body: { note: "   " } })).status).toBe(422);
		expect((await call("POST", "/v1/alerts/no-such-alert/acknowledge", { token: ops, body: { note: "x" } })).status).toBe(404);
		// An id may hold spaces and slashes (a row_mac_failed id names the row's key); a control character is no id.
		expect((await call("POST", "/v1/alerts/no%20such%2Falert/acknowledge", { token: ops, body: { note: "x" } })).status).toBe(404);
		expect((await call("POST", "/v1/alerts/bad%0Aid/acknowledge", { token: ops, body: { note: "x" } })).status).toBe(422);
		expect((await entriesOf(ops, "alert.acknowledged")).filter((entry) => entry.details.alert_id === "no-such-alert")).toEqual([]);
		const resolved = await json<Alert>(await call("POST", `/v1/alerts/${alert.id}/resolve`, { token: ops, body: { note: "false alarm" } }));
		expect(resolved).toMatchObject({ state: "resolved", acknowledged: null, resolved: { note: "false alarm" } });
	});
});

describe("an employee's suspension history", () => {
	it("shows detection's suspension and ops' reinstatement and suspension, newest first, after the status is active again", async () => {
		const ops = await token({ sub: "ops-history", scope: "ops" });
		await touchedHoneytoken(ops, "history-clerk", "AT-3");
		expect((await call("POST", "/v1/employees/history-clerk/reinstate", { token: ops, body: { reason: "test parcel" } })).status).toBe(200);
		expect((await call("POST", "/v1/employees/history-clerk/suspend", { token: ops, body: { reason: "asked by the depot" } })).status).toBe(200);
		expect((await call("POST", "/v1/employees/history-clerk/reinstate", { token: ops, body: { reason: "cleared" } })).status).toBe(200);

		const status = await json<{ suspension: unknown; history: { status: string; reason: string; by: string; at: string }[] }>(
			await call("GET", "/v1/employees/history-clerk", { token: ops }),
		);
		expect(status.suspension).toBeNull();
		expect(status.history.map(({ status, reason, by }) => [status, reason, by])).toEqual([
			["reinstated", "cleared", "ops-history"],
			["suspended", "asked by the depot", "ops-history"],
			["reinstated", "test parcel", "ops-history"],
			["suspended", "honeytoken", "detection"],
		]);
		// Another employee's history is not theirs.
		await touchedHoneytoken(ops, "history-other", "AT-3");
		const other = await json<{ history: unknown[] }>(await call("GET", "/v1/employees/history-other", { token: ops }));
		expect(other.history).toHaveLength(1);
	});
});
