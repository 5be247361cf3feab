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
 * A normalized (E.164) phone with its middle hidden: mainland numbers show as a terminal prints
 * them (138****1234, 010****5678); others keep the country prefix and the last four digits.
 */
export function maskPhone(e164: string): string {
	if (e164.startsWith("+86")) {
		const national = e164.slice(3);
		const shown =
			national.startsWith("1") && national.length === 11
				? national.slice(0, 3)
				: `0${national.slice(0, national.startsWith("10") || national.startsWith("2") ? 2 : 3)}`;
		return `${shown}${STARS}${national.slice(-4)}`;
	}
	return `${e164.slice(0, 3)}${"*".repeat(Math.max(e164.length - 7, 1))}${e164.slice(-4)}`;
}

/**
 * Province (省/自治区/特别行政区, or a municipality), prefecture (市/自治州/地区/盟) and county
 * (区/县/旗/county-level 市): the levels a terminal may show.
 */
const CN_ADMINISTRATIVE_PREFIX =
	/^(?:[^省市区县]{2,7}?(?:省|自治区|特别行政区)|北京市|天津市|上海市|重庆市)?(?:[^省市区县]{1,9}?(?:自治州|地区|盟|市))?(?:[^省市区县]{1,9}?(?:区|县|旗|市))?/u;

/**
 * Keeps province, city and district; hides street and number. For comma-separated (Latin-script)
 * addresses, leading segments that carry numbers (street, flat) are hidden, while at least the
 * last two segments (city and country, or region and postcode) stay.
 */
export function maskAddress(address: string): string {
	const trimmed = address.trim();
	if (HAN.test(trimmed)) {
		const prefix = CN_ADMINISTRATIVE_PREFIX.exec(trimmed.replace(/\s+/g, ""))?.[0] ?? "";
		return prefix.length === trimmed.replace(/\s+/g, "").length ? prefix : `${prefix}${STARS}`;
	}
	const segments = trimmed
		.split(",")
		.map((segment) => segment.trim())
		.filter(Boolean);
	let hidden = 1;
	while (hidden < segments.length - 2 && /\d/.test(segments[hidden] ?? "")) hidden++;
	return [STARS, ...segments.slice(hidden)].join(", ");
}

export type MaskedContact = Contact;

/** The masked view of a contact whose phone is already normalized. */
export function maskContact(contact: Contact): MaskedContact {
	return { name: maskName(contact.name), phone: maskPhone(contact.phone), address: maskAddress(contact.address) };
}
