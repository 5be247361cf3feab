import { describe, expect, it } from "vitest";
import packageJson from "../package.json";
import { call, json } from "./support/api";

describe("one version number", () => {
	it("the API document says the package's version", async () => {
		const doc = await json<{ info: { version: string } }>(await call("GET", "/openapi.json"));
		expect(packageJson.version).toMatch(/^\d+\.\d+\.\d+/);
		expect(doc.info.version).toBe(packageJson.version);
	});
});
