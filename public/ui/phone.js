// @ts-check
/**
 * A revealed phone as people read and dial it: grouped the way it is written in its country, and a
 * `tel:` link (RFC 3966 §5.1.4: a global number, `+` and digits only) that a phone dials as is.
 */

/**
 * Groups an E.164 number (ITU-T E.164): Chinese mobiles 3-4-4 (`+86 156 1770 7587`); Chinese
 * fixed lines after their area code (two digits for 10 and 2x, else three); anything else in
 * fours after the country code's digits as given. Not a number: returned unchanged.
 * @param {string} phone
 */
export function groupedPhone(phone) {
	const digits = phone.replace(/[\s-]/g, "");
	if (!/^\+\d{6,15}$/.test(digits)) return phone;
	if (digits.startsWith("+86")) {
		const national = digits.slice(3);
		if (/^1\d{10}$/.test(national)) return `+86 ${national.slice(0, 3)} ${national.slice(3, 7)} ${national.slice(7)}`;
		const area = /^(10|2\d)/.test(national) ? 2 : 3;
		return `+86 ${national.slice(0, area)} ${fours(national.slice(area))}`;
	}
	return `${digits.slice(0, 3)} ${fours(digits.slice(3))}`;
}

/** @param {string} digits */
function fours(digits) {
	return (digits.match(/.{1,4}/g) ?? []).join(" ");
}

/** The `tel:` URI of an E.164 number, or null for anything else. @param {string} phone */
export function telUri(phone) {
	const digits = phone.replace(/[\s-]/g, "");
	return /^\+\d{6,15}$/.test(digits) ? `tel:${digits}` : null;
}
