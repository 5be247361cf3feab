import { createRoute, z } from "@hono/zod-openapi";
import { forgedEntriesForRead } from "../audit/forged-entries";
import { RecordedAsks } from "../audit/recorded-asks";
import { RecordedCalls } from "../audit/recorded-calls";
import { AlertView, alertViews } from "../detection/alert-view";
import { authenticatedErrors, jsonResponse } from "../http/openapi-responses";
import { opsOnly } from "../http/ops";
import { principalFields } from "../http/principal-fields";
import { createRouter } from "../http/router";
import { WireTime, wireTime } from "../http/wire-time";
import { DAY_SECONDS, LIMIT_KINDS } from "../limits/policy";
import { hourRows } from "./hour-rows";
import { depotUsage, type EmployeeFlags, employeeUsage, NEAR_QUOTA } from "./usage";

/** The last day's asks read for the employee and depot tables; past it the tables say `truncated`. */
export const DASHBOARD_ASK_ROWS = 100_000;
/** Employees listed, most used first. */
const EMPLOYEE_ROWS = 500;
/** Unresolved alerts of the last week shown, newest first. */
const ALERT_ROWS = 100;
const HOUR_MS = 3_600_000;

const BOUND = `Bounded work: six D1 reads (with the policy layers) and the audit witness's list of forged entries, which count for no one (503 without it). The hourly counts are summed in SQL over the asks of the chosen days (index \`audit_log_asks_at\`, or \`audit_log_asks_depot_at\` with \`depot\`) and over employees' entries of those days for calls (index \`audit_log_employee_at\`: their asks, redeems, calls and lookup summaries, at most a few times the asks): the answer has a row per depot-hour, the rows read are those days' entries. The employee and depot tables read the last 24 hours' asks, at most ${DASHBOARD_ASK_ROWS.toLocaleString("en")} (\`truncated\` says when there were more), which the daily limits cap: at the simulated depot's traffic (20 couriers, 2 clerks and half a supervisor per depot) at most 20 × 400 + 2 × 200 + 600 = 9,000 grants a depot. Then at most ${ALERT_ROWS} unresolved alerts and 500 suspended principals. The audit log trails a decision by the limiter's flush, a few seconds.`;

const DashboardQuery = z.strictObject({
	days: z.coerce.number().int().min(1).max(7).default(1).openapi({ description: "Hours of the last 1–7 days for the per-hour counts (1: the last 24 hours)." }),
	depot: z.string().min(1).max(64).optional().openapi({ description: "One depot only." }),
});

const Dashboard = z
	.object({
		generated_at: WireTime("When this was read."),
		from: WireTime("Start of the per-hour counts."),
		hours: z
			.array(
				z.object({
					hour: WireTime("The hour's start."),
					depot: z.string().nullable().openapi({ description: "The asking employees' depot; null for services." }),
					reveals: z.number().int().openapi({ description: "Reveal asks granted." }),
					refused: z
						.number()
						.int()
						.openapi({ description: "Reveal asks refused and audited one by one (past the refusal budget they are summarized, not counted here)." }),
					calls: z.number().int().openapi({ description: "Calls granted: privacy-number bindings the vault asked the provider for (`call.granted`)." }),
					calls_refused: z.number().int().openapi({ description: "Calls refused (`call.denied`)." }),
				}),
			)
			.openapi({ description: "Per depot and hour with any reveal ask or call, oldest first (by hour, then depot)." }),
		depots: z
			.array(
				z.object({
					depot: z.string(),
					reveals_24h: z.number().int(),
					budget: z.number().int().openapi({ description: "The depot's `depot_daily_budget` (its depot layer, else the default)." }),
					share: z.number().openapi({ description: "reveals_24h / budget; above 1 a `depot_budget_exceeded` alert is raised." }),
				}),
			)
			.openapi({ description: "Per depot, reveals of the last 24 hours against its budget, most used first." }),
		employees: z
			.array(
				z.object({
					...principalFields,
					tightest: z
						.object({
							kind: z.enum(LIMIT_KINDS),
							limit: z.number().int(),
							used: z.number().int(),
							remaining: z.number().int(),
							share: z.number().openapi({ description: "used / limit." }),
						})
						.nullable()
						.openapi({ description: "The enforced reveal limit with the largest share used, as the limiter judges it (its `standing`)." }),
					grants_24h: z.number().int(),
					refused_24h: z.number().int(),
					out_of_scope_last_hour: z.number().int().openapi({ description: "Asks for records not theirs in the last hour; the tenth suspends." }),
					near_quota: z.boolean().openapi({ description: `The tightest limit is at least ${NEAR_QUOTA * 100}% used.` }),
					flags: z.array(z.string()).openapi({
						description:
							"`near_quota`, `out_of_scope_asks`, `suspended`, and the kind of each unresolved alert about them in the last week (`honeytoken_touched`, `out_of_scope_probing`, `daily_quota_reached`, …).",
					}),
				}),
			)
			.openapi({
				description: `Employees active in the last 24 hours or flagged, by the share of their tightest limit, highest first; at most ${EMPLOYEE_ROWS}.`,
			}),
		alerts: z.array(AlertView).openapi({ description: `Unresolved alerts of the last 7 days, newest first; at most ${ALERT_ROWS}.` }),
		truncated: z
			.boolean()
			.openapi({ description: `The last 24 hours held more than ${DASHBOARD_ASK_ROWS.toLocaleString("en")} asks: the tables count the oldest of them only.` }),
	})
	.openapi("Dashboard");

export const dashboardRoutes = createRouter();

dashboardRoutes.openapi(
	createRoute({
		method: "get",
		path: "/",
		summary:
			"What ops watch: reveals and calls per hour by depot, employees by use of their tightest limit with detection flags, depots against their budget, open alerts",
		description: `No contact data: counts, principals, depots and alerts only.\n\n${BOUND}`,
		tags: ["ops"],
		middleware: [opsOnly()] as const,
		request: { query: DashboardQuery },
		responses: { 200: jsonResponse("The dashboard.", Dashboard), ...authenticatedErrors },
	}),
	async (c) => {
		const { days, depot } = c.req.valid("query");
		const services = c.var.services;
		const now = Date.now();
		const from = Math.floor((now - days * DAY_SECONDS * 1000) / HOUR_MS) * HOUR_MS;
		// An entry written or moved with SQL, once sealed and judged forged, counts for no one here.
		const forged = await forgedEntriesForRead(c.env);
		const asks = new RecordedAsks(c.env.DB, forged);
		const [hours, callHours, recent, alerts, suspended, policies] = await Promise.all([
			asks.perHour(from, now + 1, depot),
			new RecordedCalls(c.env.DB, forged).perHour(from, now + 1, depot),
			asks.between(now - DAY_SECONDS * 1000 + 1, now + 1, depot, DASHBOARD_ASK_ROWS + 1),
			services.alerts
				.unresolvedSince(now - 7 * DAY_SECONDS * 1000, ALERT_ROWS)
				// A resolution that fails its MAC leaves the alert open (README "Row MACs").
				.then(async (rows) => (await alertViews(rows, services.rowTrust)).map((view, i) => ({ view, row: rows[i] as (typeof rows)[number] })))
				.then((read) => read.filter(({ view }) => view.state !== "resolved")),
			services.statuses.list("suspended", depot),
			services.policies(now),
		]);
		const flags = new Map<string, EmployeeFlags & { issuer: string; subject: string; role: string | null; depot: string | null }>();
		const flag = (who: { issuer: string; subject: string; role: string | null; depot: string | null }) => {
			const key = `${who.issuer}\n${who.subject}`;
			const known = flags.get(key) ?? { ...who, alertKinds: [], suspended: false };
			flags.set(key, known);
			return known;
		};
		for (const { row: alert } of alerts) {
			if (alert.subject === null || (depot !== undefined && alert.depot !== depot)) continue;
			const known = flag({ issuer: services.issuers.stored(alert.subject_issuer ?? ""), subject: alert.subject, role: null, depot: alert.depot });
			known.alertKinds = [...new Set([...known.alertKinds, alert.kind])];
		}
		for (const row of suspended) if (row.kind === "employee") flag(row).suspended = true;
		const truncated = recent.length > DASHBOARD_ASK_ROWS;
		const window = recent.slice(0, DASHBOARD_ASK_ROWS);
		const employees = employeeUsage(window, policies, flags, now).slice(0, EMPLOYEE_ROWS);
		return c.json(
			{
				generated_at: wireTime(now),
				from: wireTime(from),
				hours: hourRows(hours, callHours).map((row) => ({
					hour: wireTime(row.hour),
					depot: row.depot,
					reveals: row.reveals,
					refused: row.refused,
					calls: row.calls,
					calls_refused: row.callsRefused,
				})),
				depots: depotUsage(window, policies, now).map((row) => ({ depot: row.depot, reveals_24h: row.reveals, budget: row.budget, share: row.share })),
				employees: employees.map((row) => ({
					issuer: row.issuer,
					issuer_alias: services.issuers.aliasOf(row.issuer),
					subject: row.subject,
					role: row.role,
					depot: row.depot,
					tightest: row.tightest,
					grants_24h: row.grants,
					refused_24h: row.refused,
					out_of_scope_last_hour: row.outOfScopeLastHour,
					near_quota: row.nearQuota,
					flags: row.flags,
				})),
				alerts: alerts.map(({ view }) => view),
				truncated,
			},
			200,
		);
	},
);
