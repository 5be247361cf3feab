import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { maskAddress, maskName, maskPhone } from "../src/records/masking";
import { normalizePhone } from "../src/records/phone";

/**
 * Masks to GB/T 41833-2022: a name hides at least one character, a phone at least six digits
 * (mainland mobiles as 1******5678), an address every street, road, building, unit, room and house
 * number, showing at most province, city and district (Chinese) or district, city and region
 * (Latin script).
 */

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
		// Mainland mobiles: the leading 1, six stars, the last four (what pickup lockers ask for).
		["+8613812345678", "1******5678"],
		["+8619912340000", "1******0000"],
		["+8617012347282", "1******7282"],
		["+8615500001111", "1******1111"],
		// Mainland landlines, 2- and 3-digit area codes: the trunk 0, the area code hidden like any digit.
		["+861088886666", "0******6666"],
		["+861012345678", "0******5678"],
		["+862087654321", "0******4321"],
		["+8675586013388", "0*******3388"],
		["+8657112345678", "0*******5678"],
		// Short numbers: six digits hidden comes first, so fewer than four are shown.
		["+86101234567", "0******567"],
		["+12345678", "+******78"],
		// Hong Kong, Macau, Taiwan and abroad: the "+", the country code hidden.
		["+85291234567", "+*******4567"],
		["+85223456789", "+*******6789"],
		["+85366123456", "+*******3456"],
		["+85328123456", "+*******3456"],
		["+886912345678", "+********5678"],
		["+886223456789", "+********6789"],
		["+442079460958", "+********0958"],
		["+14155552671", "+*******2671"],
		["+4930123456", "+******3456"],
		["+6591234567", "+******4567"],
	])("%s → %s", (e164, masked) => {
		expect(maskPhone(e164)).toBe(masked);
	});

	const mobile = fc.tuple(fc.constantFrom("3", "4", "5", "6", "7", "8", "9"), fc.stringMatching(/^\d{9}$/)).map(([second, rest]) => `1${second}${rest}`);

	it("shows any mainland mobile's first digit and last four only", () => {
		fc.assert(
			fc.property(mobile, (national) => {
				expect(maskPhone(`+86${national}`)).toBe(`1******${national.slice(-4)}`);
			}),
		);
	});

	/** Every number normalizePhone can produce: mainland mobiles and landlines, and E.164 elsewhere. */
	const anyPhone = fc.oneof(
		mobile.map((national) => `+86${national}`),
		fc
			.tuple(
				fc.constantFrom("10", "20", "21", "22", "23", "24", "25", "27", "28", "29", "311", "371", "431", "571", "755", "991"),
				fc.stringMatching(/^[1-9]\d{6,7}$/),
			)
			.map(([area, local]) => `+86${area}${local}`),
		// Abroad: any country code but 86, which is read as mainland China and checked against its plan.
		fc
			.stringMatching(/^[1-9]\d{7,14}$/)
			.filter((digits) => !digits.startsWith("86"))
			.map((digits) => `+${digits}`),
	);

	it("hides at least six digits of any phone and shows at most its last four", () => {
		fc.assert(
			fc.property(anyPhone, (e164) => {
				expect(normalizePhone(e164)).toBe(e164);
				const masked = maskPhone(e164);
				const digits = e164.replace(/\D/g, "");
				const [, prefix, stars, tail] = /^([10+]?)(\*+)(\d*)$/.exec(masked) ?? [];
				expect(stars?.length).toBeGreaterThanOrEqual(6);
				expect(tail?.length).toBeLessThanOrEqual(4);
				expect(digits.endsWith(tail ?? "x")).toBe(true);
				// The prefix is the kind of number, never one of its digits: 1 for a mobile, 0 for a landline, + abroad.
				expect(prefix).toBe(e164.startsWith("+86") ? (/^\+861[3-9]\d{9}$/.test(e164) ? "1" : "0") : "+");
			}),
		);
	});
});

describe("maskName", () => {
	it.each([
		// Chinese names keep the surname; everything else is hidden.
		["张三", "张*"],
		["王五", "王*"],
		["王小明", "王**"],
		["张 三", "张*"],
		// Compound surnames (复姓), simplified and traditional.
		["欧阳娜娜", "欧阳**"],
		["欧阳修", "欧阳*"],
		["司马光", "司马*"],
		["诸葛亮", "诸葛*"],
		["上官婉儿", "上官**"],
		["歐陽娜娜", "歐陽**"],
		["欧阳 娜娜", "欧阳**"],
		// Two characters that read as a compound surname still hide one.
		["欧阳", "欧*"],
		// Single-character names hide whole.
		["李", "*"],
		["王", "*"],
		// Minority and transcribed names with a dot: the first character and the dots stay.
		["买买提·艾力", "买**·**"],
		["阿依古丽·买买提", "阿***·***"],
		["迪丽热巴·迪力木拉提", "迪***·*****"],
		["爱新觉罗·溥仪", "爱***·**"],
		["阿卜杜拉•克里木", "阿***•***"],
		["约翰・史密斯", "约*・***"],
		// Other scripts: initials.
		["John Smith", "J. S."],
		["mary-jane o'neil", "M. J. O."],
		["Émile Zola", "É. Z."],
		["  Anna  ", "A."],
		["Li Wei", "L. W."],
		["WANG Xiaoming", "W. X."],
		["Nguyễn Văn An", "N. V. A."],
		["Алексей Иванов", "А. И."],
		["김민수", "김."],
		// Initials of one-letter words would be the whole name.
		["J R", "*"],
		["X", "*"],
		// Mixed scripts: read as a Chinese name.
		["李John", "李****"],
		["John李", "J****"],
	])("%s → %s", (name, masked) => {
		expect(maskName(name)).toBe(masked);
	});

	it("hides at least one character of any name", () => {
		const han = fc.constantFrom(..."张王李赵欧阳司马买提艾力古丽阿依".split(""));
		const name = fc.oneof(
			fc.array(han, { minLength: 1, maxLength: 5 }).map((chars) => chars.join("")),
			fc.tuple(fc.array(han, { minLength: 1, maxLength: 4 }), fc.array(han, { minLength: 1, maxLength: 4 })).map(([a, b]) => `${a.join("")}·${b.join("")}`),
			fc.array(fc.stringMatching(/^[A-Za-z]{1,8}$/), { minLength: 1, maxLength: 3 }).map((words) => words.join(" ")),
		);
		fc.assert(
			fc.property(name, (plain) => {
				const masked = maskName(plain);
				// Either a star stands for a hidden character, or initials stand for longer words.
				expect(masked.includes("*") || masked.replace(/[\s.]/g, "").length < plain.replace(/\s/g, "").length).toBe(true);
				expect(masked).not.toBe(plain);
			}),
		);
	});
});

describe("maskAddress", () => {
	it.each([
		// Provinces: province, city, district; the rest hidden.
		["广东省深圳市南山区科技园路1号", "广东省深圳市南山区****"],
		["广东省深圳市南山区粤海街道科技园社区科苑路15号", "广东省深圳市南山区****"],
		["广东省广州市天河区天河路385号太古汇一座3501室", "广东省广州市天河区****"],
		["浙江省杭州市西湖区文三路90号东部软件园1号楼", "浙江省杭州市西湖区****"],
		["江苏省南京市鼓楼区中山北路30号", "江苏省南京市鼓楼区****"],
		["福建省厦门市思明区鹭江道8号", "福建省厦门市思明区****"],
		["四川省成都市武侯区人民南路四段11号附1号", "四川省成都市武侯区****"],
		["海南省三亚市吉阳区迎宾路", "海南省三亚市吉阳区****"],
		["中国广东省深圳市南山区科技园", "中国广东省深圳市南山区****"],
		// Districts whose names start or end like a road, a building or a market.
		["山东省青岛市市北区香港中路10号", "山东省青岛市市北区****"],
		["山东省济南市市中区经十路17号", "山东省济南市市中区****"],
		["湖北省荆州市沙市区北京中路100号", "湖北省荆州市沙市区****"],
		["河北省唐山市路南区新华道5号", "河北省唐山市路南区****"],
		["浙江省台州市路桥区路桥街道银安街100号", "浙江省台州市路桥区****"],
		["黑龙江省哈尔滨市道里区中央大街100号", "黑龙江省哈尔滨市道里区****"],
		["湖南省永州市道县濂溪街道", "湖南省永州市道县****"],
		// County-level cities, special districts and forestry districts.
		["江苏省苏州市昆山市长江路8号", "江苏省苏州市昆山市****"],
		["河北省石家庄市辛集市兴华路6号", "河北省石家庄市辛集市****"],
		["新疆维吾尔自治区石河子市北三路", "新疆维吾尔自治区石河子市****"],
		["贵州省六盘水市六枝特区平寨镇", "贵州省六盘水市六枝特区****"],
		["湖北省神农架林区松柏镇", "湖北省神农架林区****"],
		// Municipalities: the city and one district.
		["北京市朝阳区建国路88号SOHO现代城", "北京市朝阳区****"],
		["北京市海淀区中关村大街1号", "北京市海淀区****"],
		["北京市东城区东四十条胡同3号院2号楼1单元101室", "北京市东城区****"],
		["北京市朝阳区望京西园四区412号楼3单元602", "北京市朝阳区****"],
		["北京朝阳区", "北京朝阳区****"],
		["天津市滨海新区中新生态城中天大道2018号", "天津市滨海新区****"],
		["上海市浦东新区世纪大道100号", "上海市浦东新区****"],
		["上海市徐汇区漕溪北路398号", "上海市徐汇区****"],
		["上海市静安区新闸路100弄5号", "上海市静安区****"],
		["上海市黄浦区南京东路街道福州路里弄12号", "上海市黄浦区****"],
		["重庆市渝中区解放碑民权路28号", "重庆市渝中区****"],
		["重庆市云阳县双江街道滨江路8号", "重庆市云阳县****"],
		// Autonomous regions, prefectures (自治州), 地区, 盟 and banners (旗).
		["新疆维吾尔自治区乌鲁木齐市天山区解放北路1号", "新疆维吾尔自治区乌鲁木齐市天山区****"],
		["新疆维吾尔自治区乌鲁木齐市新市区北京南路", "新疆维吾尔自治区乌鲁木齐市新市区****"],
		["新疆维吾尔自治区伊犁哈萨克自治州伊宁市斯大林街", "新疆维吾尔自治区伊犁哈萨克自治州伊宁市****"],
		["新疆维吾尔自治区阿克苏地区库车市天山路", "新疆维吾尔自治区阿克苏地区库车市****"],
		["内蒙古自治区呼和浩特市回民区中山西路3号", "内蒙古自治区呼和浩特市回民区****"],
		["内蒙古自治区锡林郭勒盟锡林浩特市额尔敦路", "内蒙古自治区锡林郭勒盟锡林浩特市****"],
		["内蒙古自治区阿拉善盟阿拉善左旗巴彦浩特镇", "内蒙古自治区阿拉善盟阿拉善左旗****"],
		["内蒙古自治区兴安盟科尔沁右翼前旗", "内蒙古自治区兴安盟科尔沁右翼前旗****"],
		["内蒙古自治区呼伦贝尔市鄂温克族自治旗巴彦托海镇", "内蒙古自治区呼伦贝尔市鄂温克族自治旗****"],
		["西藏自治区日喀则市桑珠孜区上海中路", "西藏自治区日喀则市桑珠孜区****"],
		["西藏自治区拉萨市城关区北京中路", "西藏自治区拉萨市城关区****"],
		["广西壮族自治区南宁市青秀区民族大道", "广西壮族自治区南宁市青秀区****"],
		["宁夏回族自治区银川市兴庆区解放西街", "宁夏回族自治区银川市兴庆区****"],
		["湖北省恩施土家族苗族自治州恩施市舞阳大街2号", "湖北省恩施土家族苗族自治州恩施市****"],
		["四川省阿坝藏族羌族自治州马尔康市达萨街", "四川省阿坝藏族羌族自治州马尔康市****"],
		["云南省西双版纳傣族自治州景洪市勐泐大道", "云南省西双版纳傣族自治州景洪市****"],
		["云南省迪庆藏族自治州香格里拉市建塘镇", "云南省迪庆藏族自治州香格里拉市****"],
		["甘肃省甘南藏族自治州合作市当周街", "甘肃省甘南藏族自治州合作市****"],
		["吉林省延边朝鲜族自治州延吉市光明街", "吉林省延边朝鲜族自治州延吉市****"],
		["河北省廊坊市大厂回族自治县大安街3号", "河北省廊坊市大厂回族自治县****"],
		["海南省陵水黎族自治县英州镇", "海南省陵水黎族自治县****"],
		["吉林省吉林市船营区北京路", "吉林省吉林市船营区****"],
		["吉林市船营区", "吉林市船营区****"],
		// Villages and groups (村, 组), towns and compounds.
		["河南省周口市郸城县汲冢镇王庄村三组", "河南省周口市郸城县****"],
		["安徽省阜阳市临泉县杨桥镇杨桥村5组18号", "安徽省阜阳市临泉县****"],
		["广东省东莞市南城街道金域华府小区3栋", "广东省东莞市****"],
		["广东省中山市石岐街道沃尔玛超市旁5号", "广东省中山市****"],
		["广东省东莞市松山湖园区大学路1号", "广东省东莞市****"],
		["江苏省苏州市工业园区星湖街328号", "江苏省苏州市****"],
		// Hong Kong, Macau and Taiwan in Chinese, simplified and traditional.
		["香港特别行政区九龙油尖旺区弥敦道100号", "香港特别行政区九龙油尖旺区****"],
		["香港特別行政區新界沙田區沙田正街18號", "香港特別行政區新界沙田區****"],
		["香港九龍旺角彌敦道580號", "香港九龍****"],
		["澳门特别行政区花地玛堂区黑沙环马路", "澳门特别行政区花地玛堂区****"],
		["澳門特別行政區聖安多尼堂區白鴿巢前地", "澳門特別行政區聖安多尼堂區****"],
		["台湾省台北市信义区信义路五段7号", "台湾省台北市信义区****"],
		["臺北市信義區市府路45號", "臺北市信義區****"],
		["新北市板橋區中山路一段161號", "新北市板橋區****"],
		["臺灣省新竹縣竹北市光明六路", "臺灣省新竹縣****"],
		// No division to show: roads named after provinces and places, a bare street.
		["科技园路1号", "****"],
		["北京东路100号", "****"],
		["江西路12号", "****"],
		["广东深圳南山科技园", "****"],
		["广东省新市路12号", "广东省****"],
		// Latin script: at most district, city, region (and a country); never a road, a building or a number.
		["Room 1203, Building 7, Keyuan Road No. 88, Nanshan District, Shenzhen, Guangdong", "****, Nanshan District, Shenzhen, Guangdong"],
		["Block 5, Lane 100, Xinzha Rd, Jing'an District, Shanghai", "****, Jing'an District, Shanghai"],
		["No. 18 Xinzha Lu, Jing'an District, Shanghai", "****, Jing'an District, Shanghai"],
		["Lane 1000 Huashan Road, Changning District, Shanghai", "****, Changning District, Shanghai"],
		["Block 12, Lane 1000, Huashan Rd, Changning District, Shanghai 200050, PRC", "****, Changning District, Shanghai, PRC"],
		["No. 88 Keyuan Road, Nanshan District, Shenzhen 518057, Guangdong, China", "****, Nanshan District, Shenzhen, Guangdong, China"],
		["Building 3, No. 1 Jianguomenwai Avenue, Chaoyang District, Beijing 100004, China", "****, Chaoyang District, Beijing, China"],
		["Building 5, Yard 3, Zhongguancun Street, Haidian District, Beijing", "****, Haidian District, Beijing"],
		["Unit 1801, 18/F, Building A, Wangjing SOHO, Chaoyang District, Beijing", "****, Chaoyang District, Beijing"],
		["Room 602, Unit 3, Building 412, Wangjing Xiyuan Sigu, Chaoyang District, Beijing 100102", "****, Chaoyang District, Beijing"],
		["Apt 12B, 100 Century Avenue, Pudong New Area, Shanghai, P.R. China", "****, Pudong New Area, Shanghai, P.R. China"],
		["Lot 5, Xinjie Town, Nanshan District, Shenzhen, Guangdong", "****, Nanshan District, Shenzhen, Guangdong"],
		["Flat A, 12/F, Block 5, Mei Foo Sun Chuen, 1 Broadway, Lai Chi Kok, Kowloon, Hong Kong", "****, Lai Chi Kok, Kowloon, Hong Kong"],
		["Unit 3, 5/F, Mei Foo Sun Chuen, Lai Chi Kok, Kowloon, Hong Kong SAR", "****, Lai Chi Kok, Kowloon, Hong Kong SAR"],
		["Flat A, 12/F, Tower 2, Harbour View, Hung Hom, Kowloon, Hong Kong", "****, Hung Hom, Kowloon, Hong Kong"],
		["Room 1501, 15/F, Wing On Centre, 111 Connaught Road Central, Sheung Wan, Hong Kong", "****, Sheung Wan, Hong Kong"],
		["Room 2508, Tower 1, Times Square, 1 Matheson Street, Causeway Bay, Hong Kong", "****, Causeway Bay, Hong Kong"],
		["Shop 12, G/F, 33 Nathan Road, Tsim Sha Tsui, Kowloon, Hong Kong", "****, Tsim Sha Tsui, Kowloon, Hong Kong"],
		["Flat 1203, Block B, Lok Fu Estate, Wong Tai Sin, Kowloon", "****, Wong Tai Sin, Kowloon"],
		["Flat 3, 5 Po Hing Fong, Tai Po, New Territories, Hong Kong", "****, Tai Po, New Territories, Hong Kong"],
		["Room 5, Block 2, Sham Shui Po, Kowloon", "****, Sham Shui Po, Kowloon"],
		["House 12, Lane 3, Pak Tam Chung, Sai Kung, New Territories, Hong Kong", "****, Sai Kung, New Territories, Hong Kong"],
		["Rua do Campo 123, Edifício Cheng Fai, 8 andar, Santo António, Macau", "****, Santo António, Macau"],
		["Rua de S. Paulo, No. 12, Bloco 2, 3 andar A, Santo António, Macau", "****, Santo António, Macau"],
		["Avenida de Guimarães 150, Edifício Nam Fong, 5 andar B, Taipa, Macau SAR", "****, Taipa, Macau SAR"],
		["Avenida da Praia Grande 429, Sé, Macau", "****, Sé, Macau"],
		["Alameda Dr. Carlos d'Assumpção 258, Sé, Macao", "****, Sé, Macao"],
		["No. 7, Sec. 5, Xinyi Rd., Xinyi Dist., Taipei City 110, Taiwan", "****, Xinyi Dist., Taipei City, Taiwan"],
		["7F, No. 45, Shifu Rd., Xinyi District, Taipei City 11060, Taiwan (ROC)", "****, Xinyi District, Taipei City, Taiwan (ROC)"],
		["No. 5, Ln. 12, Aly. 3, Zhongshan Rd., Banqiao Dist., New Taipei City 220, Taiwan", "****, Banqiao Dist., New Taipei City, Taiwan"],
		["12F, No. 100, Sec. 1, Zhongxiao E. Rd., Zhongzheng District, Taipei City, Taiwan", "****, Zhongzheng District, Taipei City, Taiwan"],
		["123 Main Street, Springfield, IL 62704, USA", "****, Springfield, IL, USA"],
		["12 Wall Street, New York, NY 10005, United States", "****, New York, NY, United States"],
		["Suite 400, 1600 Amphitheatre Pkwy, Mountain View, CA 94043, USA", "****, CA, USA"],
		["Flat 3, 12 Baker Street, London NW1 6XE, United Kingdom", "****, London, United Kingdom"],
		["Apartment 4B, 221B Baker Street, Marylebone, London NW1 6XE, UK", "****, Marylebone, London, UK"],
		["Flat 2, Rose Court, Kensington, London", "****, Kensington, London"],
		["Flat 3, 10 Downing St, London", "****, London"],
		["Hauptstraße 5, 10115 Berlin, Germany", "****, Berlin, Germany"],
		["Rue de Rivoli 12, 75001 Paris, France", "****, Paris, France"],
		["Kalverstraat 92, 1012 PH Amsterdam, Netherlands", "****, Amsterdam, Netherlands"],
		["Drottninggatan 5, 111 51 Stockholm, Sweden", "****, Stockholm, Sweden"],
		["2-1-1 Marunouchi, Chiyoda-ku, Tokyo 100-0005, Japan", "****, Chiyoda-ku, Tokyo, Japan"],
		["Nanshan District, Shenzhen, Guangdong", "****, Nanshan District, Shenzhen, Guangdong"],
		// Nothing shows when nothing can be told from a street.
		["Keyuan Road, Shenzhen", "****, Shenzhen"],
		["Shenzhen, Guangdong", "****, Guangdong"],
		["Flat 1, Keyuan １２, Shenzhen, Guangdong", "****, Shenzhen, Guangdong"],
		["Unit 7, 33 Nathan Rd", "****"],
		["12 Rue de Rivoli", "****"],
	])("%s → %s", (address, masked) => {
		expect(maskAddress(address)).toBe(masked);
	});

	/** Street, lane, building, unit and room words a masked address must never show. */
	const CN_STREET_WORDS = /路|街|巷|弄|胡同|号|號|栋|棟|幢|单元|室|院|村|组|小区|大厦/u;
	const LATIN_STREET_WORDS =
		/\b(?:Road|Rd|Street|St|Avenue|Ave|Lane|Ln|Lu|Jie|Alley|Aly|Sec|No|Block|Blk|Building|Bldg|Room|Rm|Flat|Unit|Apt|Suite|Floor|Tower|Estate|Court|House|Rua|Avenida|Travessa|Edifício|Bloco|andar)\b/u;

	// Divisions as addresses write them, from the province down to the county; any prefix may be missing.
	const cnProvince = fc.constantFrom(
		"",
		"广东省",
		"浙江省",
		"新疆维吾尔自治区",
		"内蒙古自治区",
		"广西壮族自治区",
		"西藏自治区",
		"台湾省",
		"湖北省",
		"中国四川省",
	);
	const cnCity = fc.constantFrom(
		"",
		"深圳市",
		"杭州市",
		"乌鲁木齐市",
		"伊犁哈萨克自治州",
		"阿克苏地区",
		"锡林郭勒盟",
		"呼伦贝尔市",
		"台北市",
		"恩施土家族苗族自治州",
		"成都市",
	);
	const cnCounty = fc.constantFrom(
		"",
		"南山区",
		"西湖区",
		"天山区",
		"伊宁市",
		"库车市",
		"锡林浩特市",
		"鄂温克族自治旗",
		"信义区",
		"巴东县",
		"昆山市",
		"浦东新区",
	);
	const cnMunicipality = fc.tuple(
		fc.constantFrom("北京市", "上海市", "天津市", "重庆市", "香港特别行政区", "澳门特别行政区", "北京", "上海"),
		fc.constantFrom("", "朝阳区", "浦东新区", "和平区", "云阳县", "九龙油尖旺区", "花地玛堂区"),
	);
	const cnAdmin = fc.oneof(
		fc.tuple(cnProvince, cnCity, cnCounty).map((levels) => levels.join("")),
		cnMunicipality.map((levels) => levels.join("")),
	);
	// Street names from characters common in them, place suffixes (市, 区, 县) among them on purpose.
	const cnStreetName = fc
		.array(fc.constantFrom(..."人民解放建设中山新华东西南北长江和平文化胜利科技学府青年光明幸福朝阳市区县城州旗盟新"), { minLength: 1, maxLength: 4 })
		.map((chars) => chars.join(""));
	const number = fc.integer({ min: 1, max: 9999 });
	const cnBelow = fc.oneof(
		fc.tuple(cnStreetName, fc.constantFrom("路", "街", "大道", "巷", "弄", "胡同", "中路", "东路"), number).map(([name, road, n]) => `${name}${road}${n}号`),
		fc
			.tuple(cnStreetName, fc.constantFrom("路", "大街"), number, number, number, number)
			.map(([name, road, n, b, u, r]) => `${name}${road}${n}号${b}栋${u}单元${r}室`),
		fc.tuple(cnStreetName, number, number).map(([name, n, r]) => `${name}小区${n}号楼${r}室`),
		fc.tuple(cnStreetName, number, number).map(([name, b, r]) => `${name}院${b}号楼${r}`),
		fc.tuple(cnStreetName, fc.integer({ min: 1, max: 12 })).map(([name, group]) => `${name}镇${name}村${group}组`),
		fc.tuple(cnStreetName, number).map(([name, n]) => `${name}街道${name}里${n}弄`),
	);

	it("never shows a digit, a street or a unit of any Chinese address, nor more than its divisions", () => {
		fc.assert(
			fc.property(cnAdmin, cnBelow, (admin, below) => {
				const masked = maskAddress(`${admin}${below}`);
				expect(masked.endsWith("****")).toBe(true);
				expect(masked).not.toMatch(/[0-9０-９]/u);
				expect(masked).not.toMatch(CN_STREET_WORDS);
			}),
			{ numRuns: 500 },
		);
	});

	it("shows nothing past the divisions when the street's name holds no place suffix", () => {
		const plainStreet = fc.array(fc.constantFrom(..."人民解放建设中山华长江和平文化胜利科技学府青年光明幸福朝阳"), { minLength: 1, maxLength: 4 });
		fc.assert(
			fc.property(cnAdmin, plainStreet, fc.constantFrom("路", "街", "大道", "巷"), number, (admin, name, road, n) => {
				const masked = maskAddress(`${admin}${name.join("")}${road}${n}号`);
				expect(admin.startsWith(masked.slice(0, -"****".length))).toBe(true);
			}),
			{ numRuns: 500 },
		);
	});

	const latinDistrict = fc.constantFrom(
		"Nanshan District",
		"Jing'an District",
		"Xinyi Dist.",
		"Chaoyang District",
		"Lai Chi Kok",
		"Sai Kung",
		"Santo António",
		"Pudong New Area",
	);
	const latinCity = fc.constantFrom("Shenzhen", "Shanghai", "Taipei City", "Beijing", "Kowloon", "New Territories", "Macau", "Hangzhou");
	const latinRegion = fc.constantFrom("Guangdong", "Zhejiang", "Hong Kong", "Taiwan", "Hong Kong SAR", "Macau SAR");
	const latinCountry = fc.constantFrom("", "China", "P.R. China", "PRC");
	const pinyin = fc.constantFrom(
		"Keyuan",
		"Xinzha",
		"Huashan",
		"Nathan",
		"Connaught",
		"Zhongshan",
		"Jianguo",
		"Shifu",
		"Campo",
		"Praia Grande",
		"Baker",
		"Century",
	);
	const latinBelow = fc.oneof(
		number.map((n) => `Room ${n}`),
		number.map((n) => `Flat ${n}`),
		fc.constantFrom("A", "B", "C", "12B").map((unit) => `Flat ${unit}`),
		number.map((n) => `Unit ${n}`),
		number.map((n) => `Block ${n}`),
		number.map((n) => `Building ${n}`),
		number.map((n) => `Tower ${n}`),
		fc.integer({ min: 1, max: 80 }).map((n) => `${n}/F`),
		number.map((n) => `Lane ${n}`),
		number.map((n) => `No. ${n}`),
		fc.tuple(number, pinyin, fc.constantFrom("Road", "Rd", "Rd.", "Street", "St", "Avenue", "Lu", "Jie")).map(([n, name, road]) => `${n} ${name} ${road}`),
		fc.tuple(pinyin, fc.constantFrom("Road", "Rd", "Street", "Lu"), number).map(([name, road, n]) => `${name} ${road} No. ${n}`),
		fc.tuple(pinyin, number).map(([name, n]) => `Rua do ${name} ${n}`),
		fc.tuple(pinyin, number).map(([name, n]) => `Lane ${n} ${name} Road`),
	);

	it("never shows a digit, a street or a unit of any Latin-script address, and shows only its last divisions", () => {
		fc.assert(
			fc.property(
				fc.array(latinBelow, { minLength: 1, maxLength: 4 }),
				latinDistrict,
				latinCity,
				latinRegion,
				latinCountry,
				(below, district, city, region, country) => {
					const admin = [district, city, region, country].filter(Boolean);
					const masked = maskAddress([...below, ...admin].join(", "));
					expect(masked).not.toMatch(/\d/u);
					expect(masked).not.toMatch(LATIN_STREET_WORDS);
					const [stars, ...shown] = masked.split(", ");
					expect(stars).toBe("****");
					expect(admin.slice(admin.length - shown.length)).toEqual(shown);
				},
			),
			{ numRuns: 500 },
		);
	});
});
