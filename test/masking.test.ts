import { describe, expect, it } from "vitest";
import { maskAddress, maskName, maskPhone } from "../src/records/masking";
import { normalizePhone } from "../src/records/phone";

describe("normalizePhone", () => {
	it.each([
		["13812341234", "+8613812341234"],
		["138 1234 1234", "+8613812341234"],
		["138-1234-1234", "+8613812341234"],
		["+86 138 1234 1234", "+8613812341234"],
		["008613812341234", "+8613812341234"],
		["(010) 8888-6666", "+861088886666"],
		["0755-86013388", "+8675586013388"],
		["+44 20 7946 0958", "+442079460958"],
		["+1 (415) 555-2671", "+14155552671"],
		["+44 (0)20 7946 0958", "+442079460958"],
		["+86 (0)755 8601 3388", "+8675586013388"],
		["8613812341234", "+8613812341234"],
	])("%s → %s", (input, expected) => {
		expect(normalizePhone(input)).toBe(expected);
	});

	it.each(["", "12345", "12812341234", "1381234123", "138123412345", "+86 12812341234", "+0123456789", "phone", "13812341234x", "+1234567890123456"])(
		"refuses %j",
		(input) => {
			expect(normalizePhone(input)).toBeNull();
		},
	);
});

describe("maskPhone", () => {
	it.each([
		["+8613812341234", "138****1234"],
		["+861088886666", "010****6666"],
		["+8675586013388", "0755****3388"],
		["+442079460958", "+44******0958"],
		["+12345678", "+12****78"],
		["+861012345678", "010****5678"],
		["+86101234567", "010****567"],
		["+8675586013388", "0755****3388"],
	])("%s → %s", (e164, masked) => {
		expect(maskPhone(e164)).toBe(masked);
	});
});

describe("maskName", () => {
	it.each([
		["张三", "张*"],
		["王小明", "王**"],
		["欧阳娜娜", "欧阳**"],
		["司马光", "司马*"],
		["欧阳", "欧*"],
		["李", "*"],
		["John Smith", "J. S."],
		["mary-jane o'neil", "M. J. O."],
		["Émile Zola", "É. Z."],
		["  Anna  ", "A."],
	])("%s → %s", (name, masked) => {
		expect(maskName(name)).toBe(masked);
	});
});

describe("maskAddress", () => {
	it.each([
		["广东省深圳市南山区科技园路1号", "广东省深圳市南山区****"],
		["北京市朝阳区建国路88号SOHO现代城", "北京市朝阳区****"],
		["上海市浦东新区世纪大道100号", "上海市浦东新区****"],
		["江苏省苏州市昆山市长江路8号", "江苏省苏州市昆山市****"],
		["新疆维吾尔自治区乌鲁木齐市天山区解放北路1号", "新疆维吾尔自治区乌鲁木齐市天山区****"],
		["湖北省恩施土家族苗族自治州恩施市舞阳大街2号", "湖北省恩施土家族苗族自治州恩施市****"],
		["内蒙古自治区呼和浩特市回民区中山西路3号", "内蒙古自治区呼和浩特市回民区****"],
		["科技园路1号", "****"],
		["123 Main Street, Springfield, IL 62704, USA", "****, Springfield, IL 62704, USA"],
		["Flat 3, 12 Baker Street, London NW1 6XE, United Kingdom", "****, London NW1 6XE, United Kingdom"],
		["Hauptstraße 5, 10115 Berlin, Germany", "****, 10115 Berlin, Germany"],
		["12 Rue de Rivoli", "****"],
		["Flat 3, 10 Downing St, London", "****, London"],
		["Rue de Rivoli 12, 75001 Paris, France", "****, 75001 Paris, France"],
		["广东省东莞市南城街道金域华府小区3栋", "广东省东莞市****"],
		["广东省中山市石岐街道沃尔玛超市旁5号", "广东省中山市****"],
		["上海市徐汇区漕溪北路398号", "上海市徐汇区****"],
	])("%s → %s", (address, masked) => {
		expect(maskAddress(address)).toBe(masked);
	});

	it("never shows the street or number", () => {
		for (const address of ["广东省深圳市南山区科技园路1号", "123 Main Street, Springfield, IL 62704, USA"]) {
			const masked = maskAddress(address);
			expect(masked).not.toMatch(/科技园路|1号|123|Main Street/);
		}
	});
});
