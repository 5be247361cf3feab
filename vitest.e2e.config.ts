import { defineConfig } from "vitest/config";

/** `npm run test:e2e`: the pages in headless Chromium against `wrangler dev` (see e2e/). */
export default defineConfig({
	test: {
		include: ["e2e/**/*.e2e.ts"],
		environment: "node",
		fileParallelism: false,
		testTimeout: 120_000,
		hookTimeout: 240_000,
	},
});
