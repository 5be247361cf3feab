import { z } from "@hono/zod-openapi";

export const KeyUsage = z
	.object({
		key_id: z.string(),
		configured: z.boolean().openapi({ description: "Listed in VAULT_KEYRING. A key in use but not configured is an outage for its records: restore it." }),
		primary: z.boolean().openapi({ description: "New records are sealed under it; the re-wrap job moves every other key's records to it." }),
		records: z
			.number()
			.int()
			.openapi({ description: "Records not yet erased sealed under this key (expired ones included, until the retention job erases them)." }),
		macs: z.number().int().openapi({
			description:
				"Rows (records, policy layers, status rows, legs, shipment events, alert triage) whose MAC names this key, which the every-minute re-MAC job moves to the primary; and audit entries not yet sealed, which it never moves: they are judged as they are sealed.",
		}),
		removable: z.boolean().openapi({
			description: "Configured, not primary, used by no record and named by no row's MAC: it can be removed from VAULT_KEYRING with nothing lost.",
		}),
	})
	.openapi("KeyUsage");

export const KeyReport = z
	.object({
		primary: z.string(),
		keys: z.array(KeyUsage),
		rewrap_pending: z.number().int().openapi({ description: "Records the re-wrap job still has to move to the primary key." }),
	})
	.openapi("KeyReport");

export const KeyIdParam = z.object({
	key_id: z
		.string()
		.regex(/^[A-Za-z0-9._-]{1,64}$/, "is not a key id")
		.openapi({ param: { name: "key_id", in: "path" }, example: "k2026-11" }),
});

export const RewrapInput = z
	.strictObject({
		max_batches: z
			.number()
			.int()
			.min(1)
			.max(50)
			.optional()
			.openapi({ description: "Batches to run in this call (default 10); the cron continues every minute." }),
	})
	.openapi("RewrapInput");

export const RewrapResult = z
	.object({
		rewrapped: z.number().int(),
		batches: z.number().int(),
		failed: z.array(z.string()).openapi({ description: "Records whose ciphertext did not authenticate: left as they are, logged." }),
		drained: z.boolean().openapi({ description: "True once no record is left under a non-primary key." }),
		progress: KeyReport,
	})
	.openapi("RewrapResult");
