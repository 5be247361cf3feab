/**
 * Deterministic fake contacts for the demo seed and for tests: nothing here is a real person.
 * A small PRNG (mulberry32) keeps every run identical, so seeds are idempotent.
 */

const SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "欧阳", "司马", "诸葛", "上官"];
const GIVEN = [
	"伟",
	"芳",
	"娜",
	"秀英",
	"敏",
	"静",
	"丽",
	"强",
	"磊",
	"军",
	"洋",
	"勇",
	"艳",
	"杰",
	"娟",
	"涛",
	"明",
	"超",
	"秀兰",
	"霞",
	"平",
	"刚",
	"桂英",
	"子涵",
	"浩然",
	"雨桐",
];
const LATIN_FIRST = ["Olivia", "Liam", "Emma", "Noah", "Amelia", "Lucas", "Mia", "Ethan", "Sofia", "Mateo", "Chloe", "Arjun"];
const LATIN_LAST = ["Smith", "García", "Müller", "Rossi", "Dubois", "Kowalski", "Silva", "Nguyen", "Okafor", "Johansson", "O'Brien", "Tanaka"];
const PLACES = [
	["广东省", "深圳市", "南山区"],
	["广东省", "广州市", "天河区"],
	["浙江省", "杭州市", "西湖区"],
	["江苏省", "苏州市", "昆山市"],
	["北京市", "", "朝阳区"],
	["上海市", "", "浦东新区"],
	["四川省", "成都市", "武侯区"],
	["湖北省", "武汉市", "洪山区"],
	["新疆维吾尔自治区", "乌鲁木齐市", "天山区"],
	["内蒙古自治区", "呼和浩特市", "回民区"],
] as const;
const STREETS = ["科技园路", "建国路", "人民大道", "解放西路", "中山北路", "文一西路", "长江路", "滨江大道", "学府路", "光谷大道"];
const LATIN_STREETS = ["Baker Street", "Main Street", "Rue de Rivoli", "Hauptstraße", "Via Roma", "Queen's Road"];
const LATIN_CITIES = ["London, NW1 6XE, United Kingdom", "Springfield, IL 62704, USA", "Paris, 75001, France", "Berlin, 10115, Germany", "Hong Kong, China"];
export const DEPOTS = ["SZ-NS-01", "SZ-FT-02", "GZ-TH-01", "HZ-XH-01", "SZ-KS-01", "BJ-CY-01", "SH-PD-01", "CD-WH-01", "WH-HS-01", "UR-TS-01"];
/** Each demo depot's couriers are `courier-<depot in lower case>-1` … `-5`. */
export const COURIERS_PER_DEPOT = 5;

/** The id of a demo depot's courier number `n` (1-based), as records name it in `courier`. */
export function demoCourier(depot: string, n: number): string {
	return `courier-${depot.toLowerCase()}-${n}`;
}

export function prng(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

export interface DemoContact {
	name: string;
	phone: string;
	address: string;
}

export interface DemoRecord {
	shipment_id: string;
	party: "sender" | "recipient";
	contact: DemoContact;
	depot: string;
	courier?: string;
}

function pick<T>(random: () => number, list: readonly T[]): T {
	return list[Math.floor(random() * list.length)] as T;
}

export function demoContact(random: () => number): DemoContact {
	const latin = random() < 0.15;
	const name = latin ? `${pick(random, LATIN_FIRST)} ${pick(random, LATIN_LAST)}` : `${pick(random, SURNAMES)}${pick(random, GIVEN)}`;
	const mobile = `1${pick(random, ["3", "5", "7", "8", "9"])}${String(Math.floor(random() * 1e9)).padStart(9, "0")}`;
	const phone = random() < 0.3 ? `+86 ${mobile.slice(0, 3)} ${mobile.slice(3, 7)} ${mobile.slice(7)}` : mobile;
	let address: string;
	if (latin) {
		address = `${1 + Math.floor(random() * 220)} ${pick(random, LATIN_STREETS)}, ${pick(random, LATIN_CITIES)}`;
	} else {
		const [province, city, district] = pick(random, PLACES);
		address = `${province}${city}${district}${pick(random, STREETS)}${1 + Math.floor(random() * 300)}号${1 + Math.floor(random() * 30)}栋${100 + Math.floor(random() * 2000)}室`;
	}
	return { name, phone, address };
}

/** `count` shipments, each with a sender and a recipient record, spread over the demo depots. */
export function demoRecords(count: number, seed = 20261128): DemoRecord[] {
	const random = prng(seed);
	const records: DemoRecord[] = [];
	for (let i = 1; i <= count; i++) {
		const shipment_id = `DEMO${String(i).padStart(6, "0")}`;
		const depot = pick(random, DEPOTS);
		const courier = demoCourier(depot, 1 + Math.floor(random() * COURIERS_PER_DEPOT));
		records.push({ shipment_id, party: "sender", contact: demoContact(random), depot: pick(random, DEPOTS) });
		records.push({ shipment_id, party: "recipient", contact: demoContact(random), depot, courier });
	}
	return records;
}

/** A person the development identity provider signs in: the claims its tokens carry. */
export interface DemoPerson {
	sub: string;
	scope: "reveal" | "ops";
	role?: "courier" | "clerk" | "supervisor";
	depot?: string;
	/** E.164, the OIDC `phone_number` claim (OpenID Connect Core 1.0 §5.1): the A side of a call. */
	phone_number?: string;
}

/**
 * The demo depots' staff: five couriers (who hold the seeded parcels), one clerk and one
 * supervisor per depot, and one ops person. Their phones are invented, in a range of mobile
 * numbers (+86 170 0000 xxxx) that is never a customer's in the seed.
 */
export function demoPeople(): DemoPerson[] {
	const people: DemoPerson[] = [];
	DEPOTS.forEach((depot, d) => {
		const phone = (n: number) => `+86170${String(d * 10 + n).padStart(8, "0")}`;
		for (let n = 1; n <= COURIERS_PER_DEPOT; n++) people.push({ sub: demoCourier(depot, n), scope: "reveal", role: "courier", depot, phone_number: phone(n) });
		people.push({ sub: `clerk-${depot.toLowerCase()}-1`, scope: "reveal", role: "clerk", depot, phone_number: phone(6) });
		people.push({ sub: `supervisor-${depot.toLowerCase()}-1`, scope: "reveal", role: "supervisor", depot, phone_number: phone(7) });
	});
	people.push({ sub: "ops-alice", scope: "ops" });
	return people;
}

/** A shipment event as POST /v1/shipment-events takes it. */
export interface DemoEvent {
	shipment_id: string;
	type: "out_for_delivery" | "delivered" | "pickup_scheduled" | "return_started";
	courier?: string;
	depot?: string;
	at: string;
}

/**
 * Today's work over the demo shipments (DESIGN "Reveals follow the work"), dated from `now`: the
 * first two thirds of the shipments are out for delivery with their recipient's courier since this
 * morning's route (DEMO000001 among them, so the README's reveal has an open leg); the rest were
 * delivered an hour ago, their legs closed; every 20th sender has a pickup scheduled with a courier
 * of the sender's depot; DEMO000003 is being returned.
 */
export function demoLegEvents(records: readonly DemoRecord[], now: number): DemoEvent[] {
	const hour = 3_600_000;
	const at = (ms: number) => new Date(ms).toISOString();
	const shipments = [...new Set(records.map((record) => record.shipment_id))];
	const events: DemoEvent[] = [];
	shipments.forEach((shipment_id, index) => {
		const recipient = records.find((record) => record.shipment_id === shipment_id && record.party === "recipient");
		const sender = records.find((record) => record.shipment_id === shipment_id && record.party === "sender");
		if (recipient?.courier) {
			events.push({ shipment_id, type: "out_for_delivery", courier: recipient.courier, depot: recipient.depot, at: at(now - 3 * hour) });
			if (index >= Math.ceil((shipments.length * 2) / 3)) events.push({ shipment_id, type: "delivered", at: at(now - hour) });
		}
		if (sender && index % 20 === 19) {
			events.push({ shipment_id, type: "pickup_scheduled", courier: demoCourier(sender.depot, 2), depot: sender.depot, at: at(now - 2 * hour) });
		}
		if (shipment_id === "DEMO000003" && recipient) {
			events.push({ shipment_id, type: "return_started", courier: demoCourier(recipient.depot, 3), depot: recipient.depot, at: at(now - hour) });
		}
	});
	return events;
}
