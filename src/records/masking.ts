import type { Contact } from "../crypto/envelope";

/**
 * Masked views: what a depot terminal may show without a reveal, to GB/T 41833-2022 (快递电子运单),
 * the chapter on personal-information protection: "收寄件人姓名应隐藏1个汉字以上，联系电话应隐藏6位以上，
 * 地址应隐藏单元户室号" (hide at least one character of a name, at least six digits of a phone, and the
 * unit, household and room numbers of an address). The vault goes further for addresses: at most the
 * administrative levels down to the district are shown, never a street, road, compound or number.
 *
 * They are pure functions of the plaintext, computed once at write time (docs/storage-schema.md says
 * why they are stored). Where a rule cannot tell what a part of an address is, it hides it: a mask
 * that hides too much is safe, one that shows a road or a number is a defect.
 */

/**
 * Version of the rules below. Stored with every record (`records.mask_version`); raising it makes
 * the re-mask job (src/records/remask.ts) recompute the stored masks of every live record. The
 * partial index of migration 0007 names this number: a new version needs a migration replacing it.
 */
export const MASK_VERSION = 2;

const HAN = /\p{Script=Han}/u;
const STARS = "****";

// --- Names -----------------------------------------------------------------------------------

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
	"歐陽",
	"諸葛",
	"司馬",
	"上官",
	"皇甫",
	"尉遲",
	"長孫",
	"軒轅",
	"獨孤",
	"鍾離",
]);

/** Separators of names transcribed from Uyghur, Kazakh, Tibetan and foreign names (买买提·艾力). */
const NAME_DOT = /[·•‧・．.]/u;

/**
 * GB/T 41833-2022: at least one character of a name hidden, whatever the script. Chinese names keep
 * the surname (张三 → 张*, 欧阳娜娜 → 欧阳**); a single character hides whole (李 → *). Names with a
 * separating dot keep their first character only (买买提·艾力 → 买**·**): the part before the dot
 * is the person's own name, not a family name. Other scripts keep initials (John Smith → J. S.).
 */
export function maskName(name: string): string {
	const compact = name.trim().replace(/\s+/g, HAN.test(name) ? "" : " ");
	if (HAN.test(compact)) {
		const chars = [...compact];
		if (chars.some((char) => NAME_DOT.test(char))) {
			return chars.map((char, i) => (i === 0 || NAME_DOT.test(char) ? char : "*")).join("");
		}
		if (chars.length <= 1) return "*";
		const surnameLength = chars.length > 2 && COMPOUND_SURNAMES.has(chars.slice(0, 2).join("")) ? 2 : 1;
		return chars.slice(0, surnameLength).join("") + "*".repeat(chars.length - surnameLength);
	}
	const words = compact.split(/[\s\-·•‧・.]+/u).filter(Boolean);
	// Initials of one-letter words would show the whole name ("J R"): then nothing is shown.
	if (words.every((word) => [...word].length <= 1)) return "*";
	return words.map((word) => `${[...word][0]?.toLocaleUpperCase() ?? ""}.`).join(" ");
}

// --- Phones ----------------------------------------------------------------------------------

/** Mainland China mobile numbers: 11 digits, 1 then 3–9 (MIIT numbering plan). */
const CN_MOBILE = /^1[3-9]\d{9}$/;
/** GB/T 41833-2022: at least six digits of a phone hidden. */
const MIN_HIDDEN_DIGITS = 6;
/** Pickup lockers and couriers confirm a parcel by the last four digits: never more are shown. */
const MAX_SHOWN_DIGITS = 4;

/**
 * A normalized (E.164) phone with all but its last four digits hidden, and at least six hidden
 * (GB/T 41833-2022). Mainland mobiles print as terminals print them, `1******5678`: the leading 1
 * says only that it is a mobile. Mainland landlines keep the trunk 0 (`0******6666`), other
 * countries the "+" (`+********0958`); area and country codes are hidden like any digit. A number
 * too short to show four digits and hide six shows fewer.
 */
export function maskPhone(e164: string): string {
	const digits = e164.replace(/\D/g, "");
	if (e164.startsWith("+86")) {
		const national = digits.slice(2);
		if (CN_MOBILE.test(national)) return `1${"*".repeat(MIN_HIDDEN_DIGITS)}${national.slice(-MAX_SHOWN_DIGITS)}`;
		return `0${hideAllButTail(national)}`;
	}
	return `${e164.startsWith("+") ? "+" : ""}${hideAllButTail(digits)}`;
}

function hideAllButTail(digits: string): string {
	const hidden = Math.max(MIN_HIDDEN_DIGITS, digits.length - MAX_SHOWN_DIGITS);
	const shown = Math.max(0, digits.length - hidden);
	return "*".repeat(hidden) + digits.slice(digits.length - shown);
}

// --- Chinese addresses -----------------------------------------------------------------------

/** Provinces, autonomous regions, SARs and municipalities by short name (simplified and traditional). */
const PROVINCE_NAMES =
	"黑龙江|黑龍江|内蒙古|內蒙古|北京|天津|上海|重庆|重慶|河北|山西|辽宁|遼寧|吉林|江苏|江蘇|浙江|安徽|福建|江西|山东|山東|河南|湖北|湖南|广东|廣東|海南|四川|贵州|貴州|云南|雲南|陕西|陝西|甘肃|甘肅|青海|台湾|台灣|臺灣|广西|廣西|西藏|宁夏|寧夏|新疆|香港|澳门|澳門";
const MUNICIPALITIES = new Set(["北京", "天津", "上海", "重庆", "重慶"]);
const SARS = new Set(["香港", "澳门", "澳門"]);

/**
 * Country, then the province-level division: a province (省), an autonomous region (自治区, with
 * its people: 广西壮族自治区), a SAR (特别行政区) or a municipality (北京市), or its short name alone.
 */
const CN_PROVINCE = new RegExp(
	`^(?<country>中华人民共和国|中華人民共和國|中国|中國)?(?:(?<province>${PROVINCE_NAMES})(?<suffix>省|市|(?:壮族|壯族|回族|维吾尔|維吾爾)?自治[区區]|特[别別]行政[区區])?)?`,
	"u",
);

/** Hong Kong's three areas, which Chinese addresses put between the SAR and the district. */
const HK_AREA = /^(?:香港岛|香港島|港岛|港島|九龙|九龍|新界)/u;

/**
 * One prefecture- or county-level division at the start of the rest: a Han name and the suffix of
 * its kind. The name is lazy, so the first suffix ends it (市中区 still parses: a name cannot be empty).
 */
const CN_LEVEL = /^(?<name>\p{Script=Han}{1,15}?)(?<suffix>自治州|自治县|自治縣|自治旗|地区|地區|新区|新區|林区|林區|特区|特區|市|区|區|县|縣|旗|盟)/u;
const PREFECTURE_SUFFIXES = new Set(["自治州", "地区", "地區", "盟"]);

/**
 * Words below the county: roads, lanes, numbers, villages and groups (村, 组), compounds (院, 小区,
 * 花园), buildings, units and rooms, markets. A candidate level holding one is a street or a place,
 * never an administrative name, and is not shown. Characters that also begin real divisions are
 * matched in context instead: 路 (路桥区, 路南区), 道 (道里区, 道县), 楼 (鼓楼区), 厦 (厦门市), 厂 (大厂回族自治县).
 */
const CN_BELOW_COUNTY =
	/街|巷|弄|胡同|衖|号|號|村|组|組|小区|小區|社区|社區|栋|棟|幢|号楼|號樓|大楼|大樓|楼层|樓層|层|層|室|单元|單元|院|园|園|苑|座|大厦|大廈|场|場|超市|菜市场|夜市|校区|校區|景区|景區|工厂|工廠|厂区|廠區|片区|片區|宿舍|住宅|生活区|工业|工業|商业|商業|保税|保稅|示范|示範|码头|碼頭|站|门牌|門牌/u;
/** Below-county characters that may begin a division's name (路桥区, 道里区) but nowhere else in it. */
const CN_BELOW_COUNTY_INSIDE = /[路道]/u;
/** What follows a street's name: a candidate level followed by one was the start of a street (新市路). */
const CN_STREET_NEXT = /^(?:路|街|道|巷|弄|里|裡|号|號|胡同|桥|橋|村|段)/u;
/** Names made of one numeral are residential sections (四区), not divisions. */
const CN_NUMERAL = /^[一二三四五六七八九十零〇两兩甲乙丙丁]$/u;

/** Longest name before its suffix, by kind: banners (科尔沁右翼前旗) and autonomous divisions run long. */
function maxNameLength(name: string, suffix: string): number {
	if (/自治|族/u.test(name) || suffix.startsWith("自治")) return 15;
	return suffix === "旗" ? 8 : 5;
}

type Stage = "prefecture" | "county";

interface Level {
	text: string;
	kind: Stage;
}

/** A subdistrict or town name: what may follow a division, even when it starts like a road (路桥街道). */
const CN_TOWN = /^\p{Script=Han}{1,4}?(?:街道|镇|鎮|乡|鄉)/u;

/**
 * The division at the start of `rest`, read at `stage` (a bare 市 is a prefecture first, a county
 * after one), or null. `checkNext` is off only when asking whether a division follows another.
 */
function nextLevel(rest: string, stage: Stage, checkNext = true): Level | null {
	const match = CN_LEVEL.exec(rest);
	if (!match?.groups) return null;
	let suffix = match.groups.suffix as string;
	let text = match[0];
	// 沙市区, 新市区: the 市 belongs to the name when a district suffix follows at once.
	if (suffix === "市" && /^[区區县縣]/u.test(rest.slice(text.length))) {
		suffix = rest.charAt(text.length);
		text = rest.slice(0, text.length + 1);
	}
	const name = text.slice(0, text.length - suffix.length);
	if ([...name].length > maxNameLength(name, suffix)) return null;
	if (CN_BELOW_COUNTY.test(text) || CN_BELOW_COUNTY_INSIDE.test(name.slice(1)) || CN_NUMERAL.test(name)) return null;
	const after = rest.slice(text.length);
	// 新市路: a road named after a place. 台州市路桥区: a division whose name starts like a road.
	if (checkNext && CN_STREET_NEXT.test(after) && !nextLevel(after, "county", false) && !CN_TOWN.test(after)) return null;
	const kind = PREFECTURE_SUFFIXES.has(suffix) || (suffix === "市" && stage === "prefecture") ? "prefecture" : "county";
	return { text, kind };
}

/**
 * Keeps at most the province, the prefecture (city, 自治州, 地区, 盟) and the county (district,
 * county, banner, county-level city), and hides everything after them as `****`. A municipality
 * (北京市) or a SAR is province and city at once: only a district follows it (for Hong Kong, after
 * its area: 九龙). A province's short name counts only when a division follows it, since roads
 * are named after provinces (北京东路, 江西路).
 */
function maskChineseAddress(address: string): string {
	const compact = address.replace(/[\s,，、]+/gu, "");
	const head = CN_PROVINCE.exec(compact);
	const country = head?.groups?.country ?? "";
	let province = head?.groups?.province;
	const suffix = head?.groups?.suffix;
	// 吉林市 is a prefecture of 吉林省: only a municipality's name takes 市.
	if (province && suffix === "市" && !MUNICIPALITIES.has(province)) province = undefined;
	let kept = province ? (head?.[0] ?? "") : country;
	let stage: Stage = "prefecture";
	let levels = 0;
	if (province && (MUNICIPALITIES.has(province) || SARS.has(province))) {
		stage = "county";
		const area = province === "香港" ? HK_AREA.exec(compact.slice(kept.length)) : null;
		if (area && !CN_STREET_NEXT.test(compact.slice(kept.length + area[0].length))) {
			kept += area[0];
			levels += 1;
		}
	}
	for (let shown = 0; shown < 2; shown++) {
		const level = nextLevel(compact.slice(kept.length), stage);
		if (!level || (stage === "county" && level.kind === "prefecture")) break;
		kept += level.text;
		levels += 1;
		if (level.kind === "county") break;
		stage = "county";
	}
	if (province && !suffix && levels === 0) kept = country;
	return `${kept}${STARS}`;
}

// --- Latin-script addresses ------------------------------------------------------------------

/**
 * Words of streets, roads, lanes, numbers, buildings, estates and units, in the languages a
 * Chinese carrier meets (English, pinyin, Portuguese for Macau, the major European ones). A
 * segment holding one is below the district and is hidden.
 */
const LATIN_BELOW_DISTRICT = new Set(
	(
		"flat apt apartment apartments unit suite ste room rm floor fl flr level lvl storey story block blk bloco building bldg bld tower twr " +
		"lane ln no nr number num lot door gate entrance shop stall box wing yard village community subdistrict house mansion mansions court ct estate chuen villa villas " +
		"garden gardens centre center plaza heights lodge residence residences complex compound campus mall hotel hall view apartamento " +
		"street st road rd avenue ave av boulevard blvd drive dr way place pl close crescent cres terrace tce square sq mews row highway hwy " +
		"expressway freeway parkway pkwy alley aly path walk circle cir circuit trail quay wharf esplanade promenade parade grove sec section " +
		"hutong lu jie dao xiang nong hao cun lou dong danyuan shi zu li jiedao xiaoqu gongyu dasha yuan " +
		"rua avenida travessa estrada calçada calcada beco largo praça praca pátio patio rampa alameda rotunda jardim edifício edificio andar torre " +
		"calle carrera camino paseo plaza rue chemin allée allee impasse quai via viale piazza corso vicolo " +
		"straße strasse str weg gasse platz ufer straat laan plein gracht kade gatan gata vägen gade vej ulica ul ulitsa prospekt jalan jln lorong soi moo thanon"
	).split(" "),
);
/** Compounds that end in a street word: Hauptstraße, Kalverstraat, Drottninggatan. */
const LATIN_STREET_SUFFIX = /(?:straße|strasse|gasse|platz|allee|straat|gracht|gatan|vägen|veien)$/u;
/** Words that name an administrative division; a short number beside one is a postcode (Taipei City 110). */
const LATIN_DIVISION = new Set([
	"district",
	"dist",
	"county",
	"city",
	"province",
	"prov",
	"prefecture",
	"region",
	"state",
	"municipality",
	"banner",
	"league",
	"sar",
	"area",
]);
/**
 * Words of the lowest level shown, the district (and pinyin 区/县, Japanese -ku): whatever comes
 * before a segment holding one is below the district.
 */
const LATIN_DISTRICT = /^(?:district|dist|county|banner|borough|qu|xian|area|.+-(?:ku|gu|qu))$/u;
/** US state codes that read as unit abbreviations (FL, CT) when written in capitals after a city. */
const US_STATE_CODES = new Set(["FL", "CT"]);
/** Postcodes: UK and Canadian forms, and runs of digits (with a hyphen: 100-0005) of four or more. */
const POSTCODE = /^(?:[A-Z]{1,2}\d[A-Z\d]?|\d[A-Z]{2}|[A-Z]\d[A-Z]|\d[A-Z]\d|\d{4,}(?:-\d{3,4})?|\d{2,3}-\d{3,4})$/u;
/** Postcodes written in two groups of digits (Swedish, Czech, Greek: 111 51). */
const SPLIT_POSTCODE = /(?:^|\s)\d{3}\s\d{2}(?=\s|$)/gu;
/** Countries, which may follow the three levels shown. SARs and Taiwan are regions: they count as one. */
const COUNTRIES = new Set([
	"china",
	"prc",
	"p r china",
	"p r c",
	"people's republic of china",
	"usa",
	"u s a",
	"us",
	"united states",
	"united states of america",
	"uk",
	"u k",
	"united kingdom",
	"germany",
	"deutschland",
	"france",
	"japan",
	"singapore",
	"canada",
	"australia",
	"new zealand",
	"korea",
	"south korea",
	"malaysia",
	"thailand",
	"netherlands",
	"italy",
	"spain",
	"portugal",
	"sweden",
]);
/** District, city, region: the most a Latin-script address shows, a country aside. */
const MAX_LATIN_LEVELS = 3;

function words(segment: string): string[] {
	return segment.split(/[\s.,;:()]+/u).filter(Boolean);
}

/**
 * The segment as it may be shown (postcodes dropped), or null if it is below the district: it
 * holds a street, unit or building word, a "/" (12/F) or "#", or a number that is not a postcode.
 */
function administrativeSegment(segment: string): string | null {
	if (/[/#№]/u.test(segment)) return null;
	const tokens = segment.replace(SPLIT_POSTCODE, " ").split(/\s+/u).filter(Boolean);
	const isDivision = words(segment).some((word) => LATIN_DIVISION.has(word.toLowerCase()));
	const kept = tokens.filter(
		(token, i) => !(POSTCODE.test(token) || (isDivision && /^\d{3,}$/u.test(token)) || (/^[A-Z]{2}$/u.test(token) && /^\d{4}$/u.test(tokens[i - 1] ?? ""))),
	);
	if (kept.length === 0) return null;
	const shown = kept.join(" ");
	// Any script's digits (fullwidth １２ too): a number left after postcodes is a house or unit number.
	if (/\p{Nd}/u.test(shown)) return null;
	for (const word of words(shown)) {
		if (US_STATE_CODES.has(word) && kept.length <= 2) continue;
		const lower = word.toLowerCase();
		if (LATIN_BELOW_DISTRICT.has(lower) || LATIN_STREET_SUFFIX.test(lower)) return null;
	}
	return shown;
}

/**
 * Keeps the trailing administrative segments (district, city, region: at most three, and a
 * country) of a comma-separated address, and hides the rest as `****`. The walk goes from the end
 * and stops at the first segment below the district, and after a district; a segment of postcode
 * alone is dropped. An address of such segments only still hides its first unless it names a
 * division: it may be a street whose name holds no street word.
 */
function maskLatinAddress(address: string): string {
	const segments = address
		.split(/[,，;\n]/u)
		.map((segment) => segment.trim())
		.filter(Boolean);
	const kept: string[] = [];
	let levels = 0;
	let i = segments.length - 1;
	for (; i >= 0 && levels < MAX_LATIN_LEVELS; i--) {
		const segment = segments[i] as string;
		if (/^\d{5,6}(?:-\d{4})?$/u.test(segment)) continue;
		const shown = administrativeSegment(segment);
		if (shown === null) break;
		kept.unshift(shown);
		const lower = words(shown).map((word) => word.toLowerCase());
		if (i === segments.length - 1 && COUNTRIES.has(lower.join(" "))) continue;
		levels += 1;
		if (lower.some((word) => LATIN_DISTRICT.test(word))) {
			i -= 1;
			break;
		}
	}
	const first = kept[0];
	if (i < 0 && first !== undefined && !words(first).some((word) => LATIN_DIVISION.has(word.toLowerCase()))) kept.shift();
	return [STARS, ...kept].join(", ");
}

/**
 * GB/T 41833-2022 hides the unit, household and room numbers of an address; the vault shows at
 * most the province, city and district (Chinese) or district, city and region (Latin script), and
 * never a street, road, compound or number. Han script anywhere makes it a Chinese address: its
 * administrative levels lead, and anything that does not parse as one is hidden.
 */
export function maskAddress(address: string): string {
	const trimmed = address.trim();
	return HAN.test(trimmed) ? maskChineseAddress(trimmed) : maskLatinAddress(trimmed);
}

export type MaskedContact = Contact;

/** The masked view of a contact whose phone is already normalized. */
export function maskContact(contact: Contact): MaskedContact {
	return { name: maskName(contact.name), phone: maskPhone(contact.phone), address: maskAddress(contact.address) };
}
