import { ProblemError } from "../http/problem";
import type { StoredRecord } from "./store";

/** The record if it can be shown: a missing one is 404, an erased or expired one 410 (its data is gone). */
export function live(record: StoredRecord | null): StoredRecord {
	if (!record)
		throw new ProblemError("not-found", { detail: "No record with this id: check the id, or find records by shipment with GET /v1/records?shipment_id=." });
	if (record.erasedAt !== null)
		throw new ProblemError("record-erased", {
			detail: "The record was erased (retention or erasure request); its contact data is gone. Create a new record if the shipment needs one.",
		});
	return record;
}
