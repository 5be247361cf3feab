/**
 * `npm run simulate`: the insider-harvest day against the vault's own rules, on a virtual clock.
 * Writes bench/results/simulation.{json,md,svg}.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { type DayReport, FULL_DAY, simulateDay } from "./simulate/day";
import { migratedPolicies } from "./simulate/policies";

const started = Date.now();
const report = simulateDay(FULL_DAY, migratedPolicies());
const seconds = (Date.now() - started) / 1000;

function markdown(r: DayReport): string {
	const rows = r.attackers.map(
		(a) => `| ${a.name} | ${a.asks} | ${a.recordsObtained} | ${a.suspendedAt ?? "not suspended"} | ${a.suspendedAfterAsks ?? "—"} |`,
	);
	return `# The harvest day, simulated

${r.config.depots} depots, ${r.config.depots * r.config.couriersPerDepot} couriers, ${r.config.clerks} clerks, ${r.config.supervisors} supervisors, ${r.config.parcels.toLocaleString("en")} parcels, one honeytoken per ${r.config.honeytokenEvery} records; 9:00–18:00 on a virtual clock, default policies from the migrations. Every ask is decided by the vault's own scope rule, policy resolution, limiter decision, ring rule and depot tally (bench/simulate/model.ts). Simulated in ${seconds.toFixed(1)} s.

Unprotected reference: **${r.reference.records.toLocaleString("en")} records** in nine hours.

| attacker | asks | records obtained | suspended at | after asks |
| --- | ---: | ---: | --- | ---: |
${rows.join("\n")}

Honest staff: ${r.honest.employees} employees, ${r.honest.asks.toLocaleString("en")} asks, ${r.honest.refused} refused (${(r.honest.refusedRate * 100).toFixed(3)}%), ${r.honest.suspended} suspended.

Critical alerts: ${r.alerts.map((a) => `${a.at} ${a.kind} (${a.subject ?? a.depot})`).join("; ") || "none"}.

## Goals

| goal | met | detail |
| --- | --- | --- |
${r.goals.map((g) => `| ${g.goal} | ${g.met ? "yes" : "**no**"} | ${g.detail} |`).join("\n")}

![records obtained over the day](simulation.svg)
`;
}

function svg(r: DayReport): string {
	const width = 720;
	const height = 360;
	const pad = 50;
	const maxY = Math.max(...r.attackers.map((a) => Math.max(...a.byHour)), 1) * 1.2;
	const x = (hour: number) => pad + (hour / 9) * (width - 2 * pad);
	const y = (value: number) => height - pad - (Math.min(value, maxY) / maxY) * (height - 2 * pad);
	const colors = ["#d62728", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
	const lines = r.attackers
		.filter((a, i, all) => !a.name.includes("ring-") || all.findIndex((b) => b.name.includes("ring-")) === i)
		.map((a, i) => {
			const points = [`${x(0)},${y(0)}`, ...a.byHour.map((v, h) => `${x(h + 1)},${y(v)}`)].join(" ");
			return `<polyline fill="none" stroke="${colors[i % colors.length]}" stroke-width="2" points="${points}"/><text x="${width - pad + 4}" y="${y(a.byHour.at(-1) ?? 0)}" font-size="10" fill="${colors[i % colors.length]}">${a.name.split(" ").slice(1, 3).join(" ")}</text>`;
		});
	const reference = r.reference.byHour.map((v, h) => `${x(h + 1)},${y(v)}`);
	return `<svg xmlns="http://www.w3.org/2000/svg" width="${width + 120}" height="${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${pad}" y="20" font-size="14">Records obtained, 9:00–18:00 (reference: ${r.reference.records.toLocaleString("en")} unprotected, off the chart after ${((maxY / (r.reference.records / 9)) * 60).toFixed(0)} minutes)</text>
<line x1="${pad}" y1="${height - pad}" x2="${width - pad}" y2="${height - pad}" stroke="black"/>
<line x1="${pad}" y1="${pad}" x2="${pad}" y2="${height - pad}" stroke="black"/>
${Array.from({ length: 10 }, (_, h) => `<text x="${x(h) - 10}" y="${height - pad + 16}" font-size="10">${9 + h}:00</text>`).join("")}
<text x="5" y="${y(maxY / 1.2)}" font-size="10">${Math.round(maxY / 1.2)}</text>
<polyline fill="none" stroke="#999" stroke-dasharray="4 3" stroke-width="2" points="${x(0)},${y(0)} ${reference.join(" ")}"/>
${lines.join("\n")}
</svg>`;
}

mkdirSync("bench/results", { recursive: true });
writeFileSync("bench/results/simulation.json", `${JSON.stringify({ ...report, simulated_in_seconds: seconds }, null, 2)}\n`);
writeFileSync("bench/results/simulation.md", markdown(report));
writeFileSync("bench/results/simulation.svg", svg(report));
console.log(markdown(report));
if (report.goals.some((goal) => !goal.met)) process.exitCode = 1;
