// @ts-check
/**
 * Builds DOM nodes from data without ever parsing HTML: text goes in as text nodes, so nothing
 * the API returns can become markup (the pages' CSP enforces this with Trusted Types).
 */

/**
 * @param {string} tag
 * @param {Record<string, string | boolean | number | undefined | null>} [attributes]
 * @param {...(Node | string | number | null | undefined | false)} children
 * @returns {HTMLElement}
 */
export function el(tag, attributes = {}, ...children) {
	const node = document.createElement(tag);
	for (const [name, value] of Object.entries(attributes)) {
		if (value === undefined || value === null || value === false) continue;
		node.setAttribute(name, value === true ? "" : String(value));
	}
	for (const child of children) {
		if (child === null || child === undefined || child === false) continue;
		node.append(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
	}
	return node;
}

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} type
 * @returns {T}
 */
export function byId(id, type) {
	const node = document.getElementById(id);
	if (!(node instanceof type)) throw new Error(`#${id} is missing or not a ${type.name}`);
	return node;
}

/**
 * A table with a caption, header row and one row per item, in a box that scrolls sideways by itself
 * if it must, so the page never does. With `columns`, the layout is fixed (CSS 2.1 §17.5.2.1): each
 * column gets the width its class sets in style.css (`col-time`, `col-actor`, …), and a long value
 * wraps inside its cell instead of widening the table.
 * @param {string} caption
 * @param {string[]} headers
 * @param {(Node | string | number | null)[][]} rows
 * @param {string[]} [columns] one width class per column
 */
export function table(caption, headers, rows, columns) {
	return el(
		"div",
		{ class: "table-scroll" },
		el(
			"table",
			{ class: columns ? "fixed" : undefined },
			el("caption", {}, caption),
			columns ? el("colgroup", {}, ...columns.map((name) => el("col", { class: `col-${name}` }))) : null,
			el("thead", {}, el("tr", {}, ...headers.map((header) => el("th", { scope: "col" }, header)))),
			el("tbody", {}, ...rows.map((cells) => el("tr", {}, ...cells.map((cell) => el("td", {}, cell))))),
		),
	);
}
