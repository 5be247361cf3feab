/** Mainland China mobile numbers: 11 digits, 1 then 3–9 (MIIT numbering plan). */
const CN_MOBILE = /^1[3-9]\d{9}$/;
/** Mainland landlines without the trunk 0: area code (10, 2x or 3 digits) and a 7–8 digit number. */
const CN_LANDLINE = /^(10|2\d|[3-9]\d{2})\d{7,8}$/;

/**
 * Normalizes a phone number to E.164 (ITU-T E.164: "+", country code, at most 15 digits), or
 * returns null. Numbers without a country code are taken as mainland China (+86), the carrier's
 * home market; a leading trunk 0 is dropped and a leading 00 is read as the international prefix.
 */
export function normalizePhone(input: string): string | null {
	// "+44 (0)20 …": the bracketed trunk 0 is dialled only from inside the country.
	let digits = input.replace(/\(0\)/g, "").replace(/[\s\-().]/g, "");
	let international = false;
	if (digits.startsWith("+")) {
		international = true;
		digits = digits.slice(1);
	} else if (digits.startsWith("00")) {
		international = true;
		digits = digits.slice(2);
	}
	if (!/^\d+$/.test(digits)) return null;

	if (!international) {
		if (CN_MOBILE.test(digits)) return `+86${digits}`;
		if (digits.startsWith("86") && CN_MOBILE.test(digits.slice(2))) return `+${digits}`;
		if (digits.startsWith("0") && CN_LANDLINE.test(digits.slice(1))) return `+86${digits.slice(1)}`;
		return null;
	}
	if (digits.startsWith("86")) {
		const national = digits.slice(2);
		return CN_MOBILE.test(national) || CN_LANDLINE.test(national) ? `+86${national}` : null;
	}
	// Elsewhere: a plausible E.164 length; full national plans are out of scope.
	return /^[1-9]\d{7,14}$/.test(digits) ? `+${digits}` : null;
}
