// The few Node APIs the Node-side bench scripts use, declared for the worker's type check (which
// cannot load @types/node beside the Workers types).
declare module "node:fs" {
	export function mkdirSync(path: string, options?: { recursive?: boolean }): void;
	export function writeFileSync(path: string, data: string): void;
	export function readFileSync(path: string, encoding: "utf8"): string;
	export function readdirSync(path: string): string[];
}
declare module "node:sqlite" {
	export class DatabaseSync {
		constructor(path: string);
		exec(sql: string): void;
		prepare(sql: string): { all(...params: unknown[]): unknown[] };
	}
}
declare const process: { argv: string[]; exitCode?: number; env: Record<string, string | undefined> };
