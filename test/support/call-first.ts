import type { Env } from "../../src/env";
import { callWith } from "./api";
import { token } from "./tokens";

let serial = 0;

/**
 * Calls the customer of a record through the provider simulator as the employee would from the
 * terminal, so that a plaintext phone of that delivery or pickup may then be revealed (DESIGN
 * "Calls instead of numbers": a phone reveal for delivery or pickup needs a call on the leg first).
 * The caller is the principal (issuer, subject) of the reveal token: the same `sub`, role and depot,
 * with a phone of its own to be connected on, fresh each time, so no number of the pool is held twice.
 */
export async function callFirst(
	employee: { sub: string; role: "courier" | "clerk" | "supervisor"; depot: string },
	recordId: string,
	purpose: "delivery" | "pickup" = "delivery",
	envOverrides: Partial<Env> = {},
): Promise<void> {
	serial += 1;
	const phone = `+86136${String(Date.now() % 10_000).padStart(4, "0")}${String(serial % 10_000).padStart(4, "0")}`;
	const bearer = await token({ sub: employee.sub, role: employee.role, depot: employee.depot, scope: "reveal", extra: { phone_number: phone } });
	const made = await callWith(envOverrides, "POST", "/v1/calls", { token: bearer, body: { record_id: recordId, purpose } });
	if (made.status !== 201) throw new Error(`the call answered ${made.status}: ${await made.text()}`);
}
