// @ts-check
/**
 * The depot terminal: look a parcel up, see its contacts masked, call the customer through a
 * virtual number, or (the counted exception) reveal one field for a purpose. A revealed value is on
 * the page for a configured number of seconds and then removed from the DOM; nothing keeps it (no
 * storage, no history, no variable outliving its node).
 */
import { byId, el } from "./dom.js";
import { clockTime, duration, nameOf, t } from "./i18n.js";
import { groupedPhone, telUri } from "./phone.js";
import { listIsBehind, problemSlug, refusalMessage, SUSPENDED } from "./refusals.js";
import { api, signOutWhenIdle, wireSignIn } from "./session.js";

const revealSeconds = Number(document.body.dataset.revealSeconds) || 30;
const idleSeconds = Number(document.body.dataset.idleSeconds) || 300;
const EMPLOYEE_ROLES = ["courier", "clerk", "supervisor"];
/** The phone comes first: calling the customer is what a counter or a doorstep most often needs. */
const FIELD_ORDER = ["phone", "name", "address"];
/**
 * The purposes an employee may state, the parties each applies to and the fields it may reveal, as
 * the page was rendered from the vault's own rules (src/reveals/scope.ts).
 */
const PURPOSES = [...byId("purpose-options", HTMLTemplateElement).content.querySelectorAll("option")].map((option) => ({
	option,
	parties: (option.dataset.parties ?? "").split(" "),
	fields: (option.dataset.fields ?? "").split(" ").sort((a, b) => FIELD_ORDER.indexOf(a) - FIELD_ORDER.indexOf(b)),
}));

const notice = byId("notice", HTMLElement);
const records = byId("records", HTMLUListElement);
const recordsEmpty = byId("records-empty", HTMLElement);
const recordsHint = byId("records-hint", HTMLElement);
const quota = byId("quota", HTMLElement);
/**
 * The clear of each value on show, by the slot it shows in: signing out or a new lookup clears them
 * all at once, and a second reveal on the same record replaces the first cleanly.
 */
const onShow = new Map(/** @type {[HTMLElement, () => void][]} */ ([]));
/**
 * Bumped by every lookup and sign-out: a reveal still in flight from before is dropped when it
 * lands, so its value never shows under the next lookup or to the next person.
 */
let generation = 0;
let suspendedAtSignIn = false;
/** The shipment on the screen, for a refresh when a refusal says the list is behind the work. */
let shownShipment = "";
/**
 * Records whose work a refusal said has ended (stale, or no open leg), as of the last refresh: their
 * call and work-purpose reveal controls stay off until the person looks a shipment up again, so
 * nobody taps again and again at work that is gone. Only ids, and only until the next lookup.
 */
let endedWork = new Set(/** @type {string[]} */ ([]));
/** Purposes that need a leg rather than a case (DESIGN "Reveals follow the work"). */
const CASE_PURPOSE = "customer_service";

/** The virtual number on show for each record, by its slot: gone from the page on a new lookup or sign-out. */
const callsOnShow = new Map(/** @type {[HTMLElement, () => void][]} */ ([]));

function clearRevealed() {
	generation += 1;
	for (const clear of [...onShow.values(), ...callsOnShow.values()]) clear();
}

/** @param {string} message */
function say(message) {
	notice.textContent = message;
}

/** The quota's lines: the reveal limits' and the call limits', each replaced by the answers that carry them. */
const quotaLines = { reveals: /** @type {string[]} */ ([]), calls: /** @type {string[]} */ ([]) };

function renderQuota() {
	quota.replaceChildren(el("ul", { id: "quota-list" }, ...[...quotaLines.reveals, ...quotaLines.calls].map((line) => el("li", {}, line))));
}

/**
 * The call limits' line: calls left in 24 hours, or, with none left in the burst window, when the next one can be made.
 * @param {{ kind: string, left: number, limit: number, window: number, wait: number }[]} rules
 */
function callLines(rules) {
	const burst = rules.find((rule) => rule.kind === "burst");
	const daily = rules.find((rule) => rule.kind === "daily");
	if (burst && burst.left === 0) return [t("quota.callsWait", { limit: burst.limit, window: duration(burst.window), wait: duration(burst.wait) })];
	return daily ? [t("quota.calls", { left: daily.left, limit: daily.limit })] : [];
}

/**
 * The call limits as `GET /v1/reveals/quota` answers them (`call_limits`).
 * @param {{ kind: string, limit: number, window_seconds: number, remaining: number, reset_seconds: number }[]} limits
 */
function showCallQuota(limits) {
	quotaLines.calls = callLines(
		limits.map((rule) => ({ kind: rule.kind, left: rule.remaining, limit: rule.limit, window: rule.window_seconds, wait: rule.reset_seconds })),
	);
	renderQuota();
}

/**
 * RateLimit-Policy and RateLimit (draft-ietf-httpapi-ratelimit-headers §3, §4): one item per limit,
 * the call limits named `call_burst`, `call_daily`, `call_distinct`.
 * @param {Headers} headers
 */
function showQuota(headers) {
	const policy = headers.get("RateLimit-Policy");
	const state = headers.get("RateLimit");
	if (!policy || !state) return;
	/** @param {string} field */
	const items = (field) =>
		new Map(
			field.split(",").map((item) => {
				const [name, ...params] = item.trim().split(";");
				return [name?.replace(/"/g, "") ?? "", Object.fromEntries(params.map((param) => param.split("=")).map(([key, value]) => [key, Number(value)]))];
			}),
		);
	const quotas = items(policy);
	const states = items(state);
	if ([...states.keys()].some((kind) => kind.startsWith("call_"))) {
		quotaLines.calls = callLines(
			[...states].map(([kind, { r, t: reset }]) => {
				const { q, w } = quotas.get(kind) ?? {};
				return { kind: kind.replace(/^call_/, ""), left: r ?? 0, limit: q ?? 0, window: w ?? 0, wait: reset ?? 0 };
			}),
		);
		return renderQuota();
	}
	const lines = [];
	for (const [kind, { r, t: reset }] of states) {
		const { q, w } = quotas.get(kind) ?? {};
		const counts = { left: r ?? 0, limit: q ?? 0 };
		if (kind === "burst")
			lines.push(
				r === 0
					? t("quota.burstWait", { ...counts, window: duration(w ?? 0), wait: duration(reset ?? 0) })
					: t("quota.burst", { ...counts, window: duration(w ?? 0) }),
			);
		else if (kind === "daily") lines.push(t("quota.daily", counts));
		else if (kind === "distinct") lines.push(t("quota.distinct", counts));
	}
	quotaLines.reveals = lines;
	renderQuota();
}

/**
 * Shows a revealed value, then removes it from the DOM when its time is up.
 * @param {HTMLElement} slot
 * @param {string} field
 * @param {string} value
 * @param {HTMLElement} returnFocus where focus goes if it was on the value's controls when they go
 */
function show(slot, field, value, returnFocus) {
	onShow.get(slot)?.();
	const deadline = Date.now() + revealSeconds * 1000;
	// Only the value is announced; the countdown would be read out every second.
	const countdown = el("span", { class: "countdown" }, t("terminal.clearsIn", { duration: duration(revealSeconds) }));
	const clearNow = el("button", { type: "button" }, t("terminal.clearNow"));
	const label = el("span", { class: "revealed-label" }, nameOf("field", field));
	const shown = el("div", { class: "revealed" }, el("p", { role: "status" }, label, " ", revealedValue(field, value)), countdown, " ", clearNow);
	const tick = setInterval(() => {
		const left = Math.ceil((deadline - Date.now()) / 1000);
		if (left <= 0) clear();
		else countdown.textContent = t("terminal.clearsIn", { duration: duration(left) });
	}, 1000);
	const timeout = setTimeout(clear, revealSeconds * 1000);
	function clear() {
		clearInterval(tick);
		clearTimeout(timeout);
		const hadFocus = shown.contains(document.activeElement);
		shown.remove();
		onShow.delete(slot);
		if (hadFocus && returnFocus.isConnected) returnFocus.focus();
	}
	clearNow.addEventListener("click", clear);
	onShow.set(slot, clear);
	slot.append(shown);
}

/**
 * The value as shown: a phone grouped for reading, as a link that dials it; anything else as text.
 * @param {string} field @param {string} value
 */
function revealedValue(field, value) {
	const tel = field === "phone" ? telUri(value) : null;
	if (tel === null) return el("strong", { class: "revealed-value" }, value);
	const grouped = groupedPhone(value);
	return el("a", { class: "revealed-value phone", href: tel, "aria-label": t("terminal.call", { phone: grouped }) }, grouped);
}

/**
 * A virtual number as the provider gives it (mainland digits, `17012345678`) in E.164: the `tel:`
 * link must be a global number (RFC 3966 §5.1.4), and +86 is the only country the provider serves.
 * @param {string} number
 */
function virtualE164(number) {
	const digits = number.replace(/[\s-]/g, "");
	return digits.startsWith("+") ? digits : `+86${digits.replace(/^0086|^86(?=1\d{10}$)/, "")}`;
}

/**
 * Shows a call's virtual number, as a link that dials it, with the time it stays valid and an
 * "End call" control; gone when it expires, when ended, or on a new lookup or sign-out.
 * @param {HTMLElement} slot
 * @param {{ call_id: string, virtual_number: string, expires_at: string }} call
 * @param {HTMLElement} returnFocus
 */
function showCall(slot, call, returnFocus) {
	callsOnShow.get(slot)?.();
	const e164 = virtualE164(call.virtual_number);
	const grouped = groupedPhone(e164);
	const expires = new Date(call.expires_at);
	const left = () => Math.max(0, Math.round((expires.getTime() - Date.now()) / 1000));
	const validity = el("span", { class: "call-expiry" }, t("terminal.callValid", { time: clockTime(expires), duration: duration(left()) }));
	const end = el("button", { type: "button", class: "secondary" }, t("terminal.endCall"));
	const number = el("a", { class: "call-number phone", href: telUri(e164) ?? undefined, "aria-label": t("terminal.call", { phone: grouped }) }, grouped);
	const shown = el(
		"div",
		{ class: "call" },
		el("p", { role: "status" }, el("span", { class: "revealed-label" }, t("terminal.virtualNumber")), " ", number),
		el("p", {}, validity),
		el("p", { class: "hint" }, t("terminal.callHint")),
		end,
	);
	// The validity in words, refreshed each minute; the binding ends at `expires_at` whatever the page does.
	const tick = setInterval(() => {
		if (left() <= 0) return clear(t("terminal.callExpired"));
		validity.textContent = t("terminal.callValid", { time: clockTime(expires), duration: duration(left()) });
	}, 60_000);
	const timeout = setTimeout(() => clear(t("terminal.callExpired")), Math.min(left() * 1000, 2 ** 31 - 1));
	/** @param {string} [why] */
	function clear(why) {
		clearInterval(tick);
		clearTimeout(timeout);
		const hadFocus = shown.contains(document.activeElement);
		shown.remove();
		callsOnShow.delete(slot);
		if (hadFocus && returnFocus.isConnected) returnFocus.focus();
		if (why) say(why);
	}
	end.addEventListener("click", async () => {
		end.setAttribute("disabled", "");
		const ended = await api("DELETE", `/v1/calls/${encodeURIComponent(call.call_id)}`);
		// 404: it has ended already (the leg closed, or it expired): the same outcome for the person.
		if (ended.ok || ended.status === 404) return clear(t("terminal.callEnded"));
		end.removeAttribute("disabled");
		say(refusalMessage(ended));
	});
	callsOnShow.set(slot, () => clear());
	slot.append(shown);
}

/** @typedef {{ id: string, party: string, masked: Record<string, string>, leg?: { state: "open" | "closed" | "none", kind: string | null } }} ShownRecord */

/**
 * The person's work on the parcel, as the lookup said: open, closed, or none of theirs.
 * @param {ShownRecord} record @param {string} id
 */
function legLine(record, id) {
	const leg = record.leg ?? { state: "none", kind: null };
	const words = leg.kind === null ? t("terminal.leg.none") : t(`terminal.leg.${leg.state}`, { kind: nameOf("legKind", leg.kind) });
	return el("p", { class: `leg leg-${leg.state}`, id, "data-leg": leg.state }, el("span", { class: "leg-label" }, t("terminal.work")), " ", words);
}

/**
 * @param {ShownRecord} record
 * @param {number} index
 */
function recordItem(record, index) {
	const prefix = `record-${index}`;
	const purposes = PURPOSES.filter((rule) => rule.parties.includes(record.party));
	const purposeSelect = /** @type {HTMLSelectElement} */ (
		el("select", { id: `${prefix}-purpose`, name: "purpose" }, ...purposes.map((rule) => rule.option.cloneNode(true)))
	);
	// The purpose of the work that is open on the parcel comes first: the one a tap most likely needs.
	if (record.leg?.state === "open" && purposes.some((rule) => rule.option.value === record.leg?.kind)) purposeSelect.value = String(record.leg.kind);
	const fieldSelect = el("select", { id: `${prefix}-field`, name: "field" });
	const caseInput = /** @type {HTMLInputElement} */ (
		el("input", { id: `${prefix}-case`, name: "case_id", maxlength: "64", autocomplete: "off", spellcheck: "false", "aria-describedby": `${prefix}-case-hint` })
	);
	const caseError = el("p", { class: "field-error", id: `${prefix}-case-error`, "aria-live": "polite" });
	// A customer-service call or reveal names its case (DESIGN "Reveals follow the work"); no other purpose takes one.
	const caseField = el(
		"div",
		{ class: "field case-field" },
		el("label", { for: `${prefix}-case` }, t("terminal.caseId")),
		caseInput,
		el("p", { class: "hint", id: `${prefix}-case-hint` }, t("terminal.caseIdHint")),
		caseError,
	);
	const button = el("button", { type: "submit" }, t("terminal.reveal"));
	const callButton = el("button", { type: "button", class: "call-button" }, t("terminal.callButton"));
	const ended = el("p", { class: "hint work-ended", id: `${prefix}-ended` }, t("terminal.workEnded"));
	// Work a refusal said has ended stays off until a new lookup; a case is not work, so customer service stays on.
	const workGone = endedWork.has(record.id) && record.leg?.state !== "open";
	const fillFields = () => {
		const rule = PURPOSES.find((candidate) => candidate.option.value === purposeSelect.value);
		fieldSelect.replaceChildren(...(rule?.fields ?? []).map((field) => el("option", { value: field }, nameOf("field", field))));
		const forCase = purposeSelect.value === CASE_PURPOSE;
		caseField.hidden = !forCase;
		caseError.textContent = "";
		caseInput.removeAttribute("aria-invalid");
		const off = workGone && !forCase;
		ended.hidden = !off;
		for (const control of [button, callButton]) control.toggleAttribute("disabled", off);
	};
	purposeSelect.addEventListener("change", fillFields);
	/** The case id for a customer-service ask, or null with the field marked when it is empty. */
	const caseFor = (/** @type {string} */ purpose) => {
		if (purpose !== CASE_PURPOSE) return {};
		const caseId = caseInput.value.trim();
		if (caseId === "") {
			caseError.textContent = t("terminal.caseNeeded");
			caseInput.setAttribute("aria-invalid", "true");
			caseInput.focus();
			return null;
		}
		caseError.textContent = "";
		caseInput.removeAttribute("aria-invalid");
		return { case_id: caseId };
	};
	const slot = el("div", { class: "revealed-slot", id: `${prefix}-revealed` });
	const callSlot = el("div", { class: "call-slot", id: `${prefix}-call` });
	// Calling is the routine way to reach the customer; the plaintext is the counted exception, one
	// step further (DESIGN "Calls instead of numbers"), and says so before it is opened.
	const form = el(
		"form",
		{ class: "reveal-form", method: "post", "aria-label": t("terminal.revealOf", { party: nameOf("party", record.party) }) },
		el("div", { class: "field" }, el("label", { for: `${prefix}-purpose` }, t("terminal.purpose")), purposeSelect),
		caseField,
		ended,
		callButton,
		el(
			"details",
			{ class: "reveal-more" },
			el("summary", {}, t("terminal.revealInstead")),
			el(
				"div",
				{ class: "reveal-more-body" },
				el("p", { class: "hint" }, t("terminal.revealCounted")),
				el("div", { class: "field" }, el("label", { for: `${prefix}-field` }, t("terminal.field")), fieldSelect),
				button,
			),
		),
	);
	fillFields();
	callButton.addEventListener("click", async () => {
		const purpose = purposeSelect.value;
		const withCase = caseFor(purpose);
		if (withCase === null) return;
		callButton.setAttribute("disabled", "");
		say("");
		const started = generation;
		try {
			const answer = await api("POST", "/v1/calls", { record_id: record.id, purpose, ...withCase });
			// The binding lives on with the leg; only its number is not shown under another lookup or person.
			if (started !== generation) return;
			showQuota(answer.headers);
			if (!answer.ok) return refused(answer, record.id);
			showCall(callSlot, answer.body, callButton);
		} finally {
			if (started === generation) callButton.removeAttribute("disabled");
		}
	});
	form.addEventListener("submit", async (event) => {
		event.preventDefault();
		const purpose = purposeSelect.value;
		const field = /** @type {HTMLSelectElement} */ (fieldSelect).value;
		const withCase = caseFor(purpose);
		if (withCase === null) return;
		button.setAttribute("disabled", "");
		say("");
		const started = generation;
		try {
			const asked = await api("POST", "/v1/reveals", { record_id: record.id, fields: [field], purpose, ...withCase });
			if (started !== generation) return;
			showQuota(asked.headers);
			if (!asked.ok) {
				// Call first: the way to the customer is the Call button, so that is where the person is taken.
				if (problemSlug(asked.problem?.type) === "call-first") {
					say(refusalMessage(asked));
					callButton.focus();
					return;
				}
				return refused(asked, record.id);
			}
			const redeemed = await api("POST", "/v1/reveals/redeem", { reveal_token: asked.body.reveal_token });
			if (started !== generation) return;
			if (!redeemed.ok) return refused(redeemed, record.id);
			show(slot, field, String(redeemed.body.fields[field] ?? ""), button);
		} finally {
			if (started === generation) button.removeAttribute("disabled");
		}
	});
	const masked = el(
		"dl",
		{ class: "masked" },
		...["name", "phone", "address"].flatMap((field) => [el("dt", {}, nameOf("field", field)), el("dd", {}, record.masked[field] ?? "—")]),
	);
	return el(
		"li",
		{ class: "record", "data-record-id": record.id },
		el("h3", {}, nameOf("party", record.party)),
		legLine(record, `${prefix}-leg`),
		masked,
		form,
		callSlot,
		slot,
	);
}

/**
 * A refused call or reveal, in plain words. When the refusal says the list is behind the work
 * (the leg closed or moved away), the page refreshes the list at once and says so: the parcel
 * then shows its work as it is, and its controls stay off, instead of inviting another tap.
 * @param {import("./session.js").ApiAnswer} answer @param {string} recordId
 */
async function refused(answer, recordId) {
	const message = refusalMessage(answer);
	if (!listIsBehind(answer) || shownShipment === "") return say(message);
	endedWork.add(recordId);
	const refreshed = await lookUp(shownShipment);
	say(refreshed ? `${message} ${t("terminal.listRefreshed")}` : message);
}

/**
 * Looks a shipment up and lists what the person may see of it. True once the list shows the answer.
 * @param {string} shipment
 */
async function lookUp(shipment) {
	clearRevealed();
	records.replaceChildren();
	recordsEmpty.textContent = t("terminal.lookingUp", { shipment });
	recordsHint.hidden = true;
	say("");
	shownShipment = shipment;
	const started = generation;
	const answer = await api("GET", `/v1/records?shipment_id=${encodeURIComponent(shipment)}`);
	// A later lookup or a sign-out came first: this answer is for a screen no longer shown.
	if (started !== generation) return false;
	if (!answer.ok) {
		recordsEmpty.textContent = t("terminal.empty");
		say(refusalMessage(answer));
		return false;
	}
	const found = /** @type {ShownRecord[]} */ (answer.body.records);
	// The vault tells a parcel of the person's depot that is not theirs (`shipment_known`) from a
	// number their depot does not hold, which reads the same as a parcel of another depot.
	const known = answer.body.shipment_known;
	recordsEmpty.textContent =
		found.length > 0 ? t("terminal.found", { shipment }) : known === true ? t("terminal.notYours", { shipment }) : t("terminal.unknown", { shipment });
	recordsHint.textContent = found.length === 0 && known === true ? t("terminal.notYoursHint") : "";
	recordsHint.hidden = recordsHint.textContent === "";
	records.replaceChildren(...found.map(recordItem));
	return true;
}

byId("scan-form", HTMLFormElement).addEventListener("submit", async (event) => {
	event.preventDefault();
	const input = byId("shipment", HTMLInputElement);
	const shipment = input.value.trim();
	if (!shipment) return say(t("terminal.typeFirst"));
	// A lookup the person asked for starts afresh: work a refusal said had ended may be back.
	endedWork = new Set();
	if (await lookUp(shipment)) input.select();
});

wireSignIn({
	check: (claims) => {
		const scopes = String(claims.scope ?? "").split(" ");
		if (!EMPLOYEE_ROLES.includes(String(claims.role))) return t("terminal.notEmployee");
		if (!scopes.includes("reveal")) return t("terminal.mayNotReveal");
		if (typeof claims.exp === "number" && claims.exp * 1000 < Date.now()) return t("terminal.expired");
		return null;
	},
	// The vault checks the token by answering with the employee's own quota, shown from the start.
	verify: async () => {
		const answer = await api("GET", "/v1/reveals/quota");
		if (!answer.ok) return answer.status === 401 ? t("terminal.tokenRefused") : refusalMessage(answer);
		showQuota(answer.headers);
		showCallQuota(Array.isArray(answer.body.call_limits) ? answer.body.call_limits : []);
		suspendedAtSignIn = answer.body.suspended === true;
		return null;
	},
	ready: (claims) => {
		byId("terminal", HTMLElement).hidden = false;
		say(
			suspendedAtSignIn
				? SUSPENDED()
				: t("terminal.ready", { role: nameOf("role", String(claims.role)), depot: String(claims.depot ?? "?"), duration: duration(revealSeconds) }),
		);
		byId("shipment", HTMLInputElement).focus();
	},
	cleared: () => {
		clearRevealed();
		shownShipment = "";
		endedWork = new Set();
		records.replaceChildren();
		recordsEmpty.textContent = t("terminal.empty");
		recordsHint.hidden = true;
		quota.textContent = "—";
		quotaLines.reveals = [];
		quotaLines.calls = [];
		say("");
		byId("shipment", HTMLInputElement).value = "";
		byId("terminal", HTMLElement).hidden = true;
	},
});

signOutWhenIdle(idleSeconds);
