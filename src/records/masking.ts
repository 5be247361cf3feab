import type { Contact } from "../crypto/envelope";

/**
 * Masked views: what a depot terminal may show without a reveal. They are pure functions of the
 * plaintext, computed once at write time; see docs/storage-schema.md for why they are stored.
 */

const HAN = /\p{Script=Han}/u;
const STARS = "****";

/** Two-character surnames (复姓) kept whole, so 欧阳娜娜 masks to 欧阳** and not 欧***. */
const COMPOUND_SURNAMES = new Set([
	"欧阳",
	"司马",
	"上官",
	"诸葛",
	"东方",
	"皇甫",
	"尉迟",
	"公孙",
	"慕容",
	"令狐",
	"长孙",
	"宇文",
	"司徒",
	"夏侯",
	"轩辕",
	"端木",
	"独孤",
	"南宫",
	"西门",
	"百里",
	"呼延",
	"东郭",
	"闻人",
	"申屠",
	"澹台",
	"万俟",
	"太史",
	"单于",
	"赫连",
	"拓跋",
	"钟离",
	"宗政",
	"濮阳",
	"淳于",
	"公冶",
	"太叔",
	"仲孙",
	"司空",
	"司寇",
	"亓官",
	"鲜于",
	"闾丘",
	"子车",
	"巫马",
	"公西",
]);

/** Chinese names keep the surname (张三 → 张*); other scripts keep initials (John Smith → J. S.). */
export function maskName(name: string): string {
	const trimmed = name.trim();
	if (HAN.test(trimmed)) {
		const chars = [...trimmed.replace(/\s+/g, "")];
		if (chars.length <= 1) return "*";
		const surnameLength = chars.length > 2 && COMPOUND_SURNAMES.has(chars.slice(0, 2).join("")) ? 2 : 1;
		return chars.slice(0, surnameLength).join("") + "*".repeat(chars.length - surnameLength);
	}
	const words = trimmed.split(/[\s-]+/).filter(Boolean);
	return words.map((word) => `${[...word][0]?.toLocaleUpperCase() ?? ""}.`).join(" ");
}

/**
 * A normalized (E.164) phone with its middle hidden: mainland mobiles as a terminal prints them
 * (138****1234), landlines with their area code (010****5678), others with "+" and two digits of
 * country code. At least four digits are always hidden, however short the number.
 */
export function maskPhone(e164: string): string {
	if (e164.startsWith("+86")) {
		const national = e164.slice(3);
		if (/^1[3-9]\d{9}$/.test(national)) return `${national.slice(0, 3)}${STARS}${national.slice(-4)}`;
		const areaCode = national.slice(0, national.startsWith("10") || national.startsWith("2") ? 2 : 3);
		const local = national.slice(areaCode.length);
		return `0${areaCode}${STARS}${local.slice(local.length - tailShown(local.length))}`;
	}
	const digits = e164.slice(3);
	const shown = tailShown(digits.length);
	return `${e164.slice(0, 3)}${"*".repeat(digits.length - shown)}${digits.slice(digits.length - shown)}`;
}

/** Trailing digits a mask may show: up to four, never so many that fewer than four stay hidden. */
function tailShown(length: number): number {
	return Math.max(0, Math.min(4, length - 4));
}

/**
 * Province (省/自治区/特别行政区, or a municipality), prefecture (市/自治州/地区/盟) and county
 * (区/县/旗/county-level 市): the levels a terminal may show.
 */
const CN_ADMINISTRATIVE_PREFIX =
	/^(?<province>[^省市区县]{2,7}?(?:省|自治区|特别行政区)|北京市|天津市|上海市|重庆市)?(?<city>[^省市区县]{1,9}?(?:自治州|地区|盟|市))?(?<county>[^省市区县]{1,9}?(?:区|县|旗|市))?/u;

/** Words of streets, compounds and landmarks: a candidate level holding one is not administrative. */
const CN_BELOW_COUNTY = /街道|路|街|巷|弄|道|号|小区|花园|大厦|广场|超市|商场|村|组|栋|室/u;

/**
 * A Latin-script segment naming a street or unit: a house number before a name ("10 Downing St"),
 * a name before a number ("Hauptstraße 5", "Flat 3"), or a unit word. Postcodes are not: they lead
 * with five or more digits ("10115 Berlin") or are written in capitals ("IL 62704", "NW1 6XE").
 */
const LATIN_STREET = /^\d{1,4}[A-Za-z]?\s+\p{L}|\p{Ll}\s+\d{1,5}[A-Za-z]?$/u;
const LATIN_UNIT = /^(flat|apt|apartment|unit|suite|room|floor|no\.?|#)(\s|$)/i;

/**
 * Keeps province, city and district; hides street and number. A candidate level holding street,
 * compound or landmark words is dropped rather than shown. In comma-separated (Latin-script)
 * addresses, every segment up to the last street or unit segment is hidden; what follows (city,
 * region, postcode, country) is shown.
 */
export function maskAddress(address: string): string {
	const trimmed = address.trim();
	if (HAN.test(trimmed)) {
		const compact = trimmed.replace(/\s+/g, "");
		const groups = CN_ADMINISTRATIVE_PREFIX.exec(compact)?.groups ?? {};
		const kept: string[] = [];
		for (const level of [groups.province, groups.city, groups.county]) {
			if (!level) continue;
			if (CN_BELOW_COUNTY.test(level)) break;
			kept.push(level);
		}
		const prefix = kept.join("");
		return prefix.length === compact.length ? prefix : `${prefix}${STARS}`;
	}
	const segments = trimmed
		.split(",")
		.map((segment) => segment.trim())
		.filter(Boolean);
	let hidden = 1;
	segments.forEach((segment, index) => {
		if (LATIN_STREET.test(segment) || LATIN_UNIT.test(segment)) hidden = index + 1;
	});
	return [STARS, ...segments.slice(hidden)].join(", ");
}

export type MaskedContact = Contact;

/** The masked view of a contact whose phone is already normalized. */
export function maskContact(contact: Contact): MaskedContact {
	return { name: maskName(contact.name), phone: maskPhone(contact.phone), address: maskAddress(contact.address) };
}
