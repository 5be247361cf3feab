/** Every script the pages run, under /ui/: the console's sections are modules of their own. */
export const PAGE_SCRIPTS = [
	"terminal.js",
	"console.js",
	"session.js",
	"dom.js",
	"i18n.js",
	"phone.js",
	"refusals.js",
	...["notice", "details", "dashboard", "policies", "layer-body", "employees", "alerts", "audit", "honeytokens", "leaks"].map(
		(section) => `console/${section}.js`,
	),
] as const;
