/**
 * `npm run simulate`: the insider-harvest day against the vault's own rules, on a virtual clock.
 * Writes bench/results/simulation.{json,md,svg}.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { attributeHarvests, attributionMarkdown } from "./simulate/attribution";
import { type DayReport, FULL_DAY, simulateDay } from "./simulate/day";
import { migratedPolicies } from "./simulate/policies";
import type { DayTrace } from "./simulate/trace";

const started = Date.now();
let trace: DayTrace | undefined;
const report = simulateDay(FULL_DAY, migratedPolicies(), (day) => {
	trace = day;
});
const seconds = (Date.now() - started) / 1000;
// Issue 19: each attacker's harvest leaked and traced; its goals count in the exit status like the day's.
const attribution = attributeHarvests(report, trace as DayTrace, FULL_DAY.seed);
report.goals.push(...attribution.goals);

const local = (at: string | null) => (at === null ? "—" : new Date(Date.parse(at) + 8 * 3_600_000).toISOString().slice(11, 16));

function markdown(r: DayReport): string {
	const rows = r.attackers.map(
		(a) =>
			`| ${a.name}${a.honest ? " (honest)" : ""} | ${a.subject} | ${a.asks} | ${a.calls} | ${a.plaintext_records} | ${a.plaintext_phones} | ${local(a.first_flagged_at)} | ${a.flagged_by.join(", ") || "—"} | ${local(a.suspended_at)} |`,
	);
	const phones = r.honest.plaintext_phones_per_courier_per_day;
	return `# The harvest day, simulated

${r.config.depots} depots, ${r.config.depots * r.config.couriersPerDepot} couriers, ${r.config.clerks} clerks, ${r.config.supervisors} supervisors, ${r.config.parcels.toLocaleString("en")} parcels (routes out by 9:00, delivered through the day, 2% re-routed, 1% pickups, 0.2% returns), one honeytoken per ${r.config.honeytokenEvery} records; 9:00–18:00 China time on a virtual clock, the careful-insider scan every hour until 24:00, default policies from the migrations. Every ask and call is decided by the vault's own functions (bench/simulate/model.ts, bench/simulate/detect.ts). Simulated in ${seconds.toFixed(1)} s.

Model: reveals gated by legs — ${r.model.reveal_leg_gate}. Phone reveal as the counted exception — ${r.model.phone_reveal_exception}. History — ${r.model.history}.

Unprotected reference: **${r.reference.records.toLocaleString("en")} records** in nine hours.

| attacker | employee | asks | calls | plaintext records | plaintext phones | first flagged | flagged by | suspended |
| --- | --- | ---: | ---: | ---: | ---: | --- | --- | --- |
${rows.join("\n")}

The ring of five at ${r.ring.depot} (${r.ring.members.join(", ")}): **${r.ring.plaintext_records} records, ${r.ring.plaintext_phones} phones** in plaintext, first flagged ${local(r.ring.first_flagged_at)}.

Honest staff: ${r.honest.employees} employees, ${r.honest.asks.toLocaleString("en")} asks and calls (${r.honest.calls.toLocaleString("en")} calls, ${r.honest.reveals.toLocaleString("en")} reveals), ${r.honest.refused} refused (${(r.honest.refused_rate * 100).toFixed(3)}%), ${r.honest.suspended} suspended, ${r.honest.flagged} flagged. Plaintext phones per honest courier per day: mean ${phones.mean}, median ${phones.median}, 95th percentile ${phones.p95}, max ${phones.max} (${phones.couriers} couriers).

Alerts (critical, and each careful-insider alert's first scan): ${r.alerts.map((a) => `${local(a.at)} ${a.kind} (${a.subject ?? a.depot})`).join("; ") || "none"}.

## Goals

| goal | met | detail |
| --- | --- | --- |
${r.goals.map((g) => `| ${g.goal} | ${g.met ? "yes" : "**no**"} | ${g.detail} |`).join("\n")}

![plaintext records obtained over the day](simulation.svg)
`;
}

function svg(r: DayReport): string {
	const width = 720;
	const height = 360;
	const pad = 50;
	const ringByHour = r.attackers
		.filter((a) => r.ring.members.includes(a.subject))
		.reduce((sum, a) => sum.map((v, h) => v + (a.byHour[h] ?? 0)), Array(9).fill(0) as number[]);
	const series = [
		...r.attackers
			.filter((a) => !a.honest && !r.ring.members.includes(a.subject))
			.map((a) => ({ label: `${a.name}: ${a.plaintext_records}`, byHour: a.byHour })),
		{ label: `ring of five: ${r.ring.plaintext_records}`, byHour: ringByHour },
	];
	const maxY = Math.max(...series.map((a) => Math.max(...a.byHour)), 1) * 1.2;
	const x = (hour: number) => pad + (hour / 9) * (width - 2 * pad);
	const y = (value: number) => height - pad - (Math.min(value, maxY) / maxY) * (height - 2 * pad);
	const colors = ["#d62728", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
	// Labels at the lines' ends, pushed apart upwards so equal end values stay readable.
	const labelY = new Map<number, number>();
	let above = Number.POSITIVE_INFINITY;
	for (const i of series.map((_, i) => i).sort((a, b) => (series[a]?.byHour.at(-1) ?? 0) - (series[b]?.byHour.at(-1) ?? 0))) {
		const wanted = y(series[i]?.byHour.at(-1) ?? 0) + 4;
		above = Math.min(wanted, above - 12);
		labelY.set(i, above);
	}
	const lines = series.map((a, i) => {
		const points = [`${x(0)},${y(0)}`, ...a.byHour.map((v, h) => `${x(h + 1)},${y(v)}`)].join(" ");
		return `<polyline fill="none" stroke="${colors[i % colors.length]}" stroke-width="2" points="${points}"/><text x="${width - pad + 4}" y="${labelY.get(i)}" font-size="10" fill="${colors[i % colors.length]}">${a.label}</text>`;
	});
	const reference = r.reference.byHour.map((v, h) => `${x(h + 1)},${y(v)}`);
	return `<svg xmlns="http://www.w3.org/2000/svg" width="${width + 180}" height="${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${pad}" y="20" font-size="14">Plaintext records obtained by attackers, 9:00–18:00 (reference: ${r.reference.records.toLocaleString("en")} unprotected, off the chart after ${((maxY / (r.reference.records / 9)) * 60).toFixed(0)} minutes)</text>
<line x1="${pad}" y1="${height - pad}" x2="${width - pad}" y2="${height - pad}" stroke="black"/>
<line x1="${pad}" y1="${pad}" x2="${pad}" y2="${height - pad}" stroke="black"/>
${Array.from({ length: 10 }, (_, h) => `<text x="${x(h) - 10}" y="${height - pad + 16}" font-size="10">${9 + h}:00</text>`).join("")}
<text x="5" y="${y(maxY / 1.2)}" font-size="10">${Math.round(maxY / 1.2)}</text>
<polyline fill="none" stroke="#999" stroke-dasharray="4 3" stroke-width="2" points="${x(0)},${y(0)} ${reference.join(" ")}"/>
${lines.join("\n")}
</svg>`;
}

mkdirSync("bench/results", { recursive: true });
const { goals: _goals, ...leaks } = attribution;
writeFileSync("bench/results/simulation.json", `${JSON.stringify({ ...report, leaks, simulated_in_seconds: seconds }, null, 2)}\n`);
writeFileSync("bench/results/simulation.md", markdown(report) + attributionMarkdown(attribution));
writeFileSync("bench/results/simulation.svg", svg(report));
console.log(markdown(report) + attributionMarkdown(attribution));
if (report.goals.some((goal) => !goal.met)) process.exitCode = 1;
